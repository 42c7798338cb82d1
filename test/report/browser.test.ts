// report.html in a real browser: Debian's chromium, headless, loads the page from file:// and
// must find every chart rendered (a non-empty SVG with the expected number of lines or bars),
// the hostile labels shown as text (never run), no console error and no request but the page.
// Screenshots go to the test's temp folder (MMC_REPORT_SCREENSHOT=PATH also writes the sweep's
// there, for docs/images/report.png). Without chromium the suite is skipped with a notice.
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { renderReport } from "../../src/report/index.js";
import { readReportFolder } from "../../src/report/read.js";
import { HOSTILE, writeRun, writeSweep } from "./fixtures.js";

const CHROMIUM = process.env["MMC_CHROMIUM"] ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(
    `notice: ${CHROMIUM} is missing, so the browser test of report.html is skipped ` +
      "(install it with `apt-get install -y chromium`; .ci/run does)",
  );

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

interface ChartSeen {
  id: string;
  title: string;
  mark: string;
  expected: number;
  found: number;
  width: number;
  height: number;
  emptyPaths: number;
}

interface PageSeen {
  charts: ChartSeen[];
  errors: string[];
  requests: string[];
  pwned: unknown;
  cells: string[];
}

/**
 * Runs in the page (plain JavaScript: the project's TypeScript has no DOM types): each chart's
 * figure, its SVG's size and its line or bar marks, every table cell's text, and whether any
 * injected script set `window.__pwned`.
 */
const PROBE = `(() => {
  const charts = [...document.querySelectorAll("figure.chart")].map((f) => {
    const svg = f.querySelector("svg");
    const mark = f.dataset.mark || "";
    const marks = [...f.querySelectorAll(mark === "line" ? "g.mark-line path" : "g.mark-rect path")];
    const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    return {
      id: f.id,
      title: f.getAttribute("aria-label") || "",
      mark,
      expected: Number(f.dataset.count),
      found: marks.length,
      width: box.width,
      height: box.height,
      emptyPaths: marks.filter((p) => (p.getAttribute("d") || "").length < 2).length,
    };
  });
  const cells = [...document.querySelectorAll("td")].map((td) => td.textContent || "");
  return { charts, cells, pwned: window.__pwned };
})()`;

const root = mkdtempSync(join(tmpdir(), "mmc-browser-"));
let context: BrowserContext | undefined;

async function writePage(dir: string): Promise<string> {
  const { html } = await renderReport(readReportFolder(dir));
  const path = join(dir, "report.html");
  writeFileSync(path, html);
  return path;
}

async function open(path: string, screenshot: string): Promise<PageSeen> {
  const page = await context!.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(path).href, { waitUntil: "load" });
  const seen = (await page.evaluate(PROBE)) as Omit<PageSeen, "errors" | "requests">;
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return { ...seen, errors, requests };
}

describe.skipIf(!haveChromium)("report.html in chromium", () => {
  beforeAll(async () => {
    context = await chromium.launchPersistentContext(join(root, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
      offline: true,
    });
  });
  afterAll(async () => {
    await context?.close();
  });

  test("a sweep: the loss curves of every point, a bar chart per metric, the tables", async () => {
    const dir = join(root, "sweep");
    const m = writeSweep(dir, {
      statuses: ["done", "done", "done", "done", "running", "pending"],
      report: ["loss", "caption_accuracy", "params"],
    });
    const path = await writePage(dir);
    const shot = process.env["MMC_REPORT_SCREENSHOT"] ?? join(root, "sweep.png");
    const seen = await open(path, shot);
    console.log(`screenshot of the sweep report: ${shot}`);
    expect(seen.errors).toEqual([]);
    expect(seen.requests).toEqual([pathToFileURL(path).href]);
    // Five points have steps (the pending one has none); every metric has a bar per value.
    expect(seen.charts.map((c) => [c.title, c.mark, c.found])).toEqual([
      ["training loss, all points", "line", 5],
      ["loss", "bar", 5],
      ["caption_accuracy", "bar", 5],
      ["params", "bar", 6],
    ]);
    for (const c of seen.charts) {
      expect(c.found).toBe(c.expected);
      expect(c.emptyPaths).toBe(0);
      expect(c.width).toBeGreaterThan(300);
      expect(c.height).toBeGreaterThan(150);
    }
    // Every table row: the point, its labels, the value and the status.
    for (const p of m.points) expect(seen.cells).toContain(p.labels[0]);
  });

  test("hostile labels are shown as text and never run", async () => {
    const dir = join(root, "hostile");
    const labels = HOSTILE.slice(0, 3);
    writeSweep(dir, { labels, name: HOSTILE[4]!, report: ["loss", HOSTILE[0]!] });
    const seen = await open(await writePage(dir), join(root, "hostile.png"));
    expect(seen.pwned).toBeUndefined();
    expect(seen.errors).toEqual([]);
    // The browser's own HTML parser gives back the exact strings.
    for (const l of labels) expect(seen.cells).toContain(l);
    expect(seen.charts.map((c) => c.found)).toEqual([6, 6]);
  });

  test("a single run: loss, learning rate, throughput and evaluation curves", async () => {
    const dir = join(root, "run");
    writeRun(dir, { steps: 300, evalEvery: 100, tasks: true, extra: "{not json}\n" });
    const seen = await open(await writePage(dir), join(root, "run.png"));
    expect(seen.errors).toEqual([]);
    expect(seen.charts.map((c) => [c.title, c.found])).toEqual([
      ["training loss", 1],
      ["learning rate", 1],
      ["throughput", 1],
      ["gradient norm", 1],
      ["evaluation: loss", 2],
      ["evaluation: accuracy", 2],
      ["few-shot: cider", 2],
      ["few-shot: accuracy", 1],
    ]);
    for (const c of seen.charts) expect(c.emptyPaths).toBe(0);
  });
});
