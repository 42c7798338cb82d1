// report.html in a real browser: Debian's chromium, headless, loads the page from file:// and
// must find every chart rendered (a non-empty SVG with the expected number of lines or bars),
// the hostile labels shown as text (never run), no console error and no request but the page.
// Screenshots go to the test's temp folder (MMC_REPORT_SCREENSHOT=PATH also writes the sweep's
// there, for docs/images/report.png). Without chromium the suite is skipped with a notice.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { renderReport } from "../../src/report/index.js";
import { readReportFolder } from "../../src/report/read.js";
import { haveChromium, launchChromium, openPage, type PageSeen } from "./chromium.js";
import { HOSTILE, writeRun, writeSweep } from "./fixtures.js";

const root = mkdtempSync(join(tmpdir(), "mmc-browser-"));
let context: BrowserContext | undefined;
const open = (path: string, screenshot: string): Promise<PageSeen> =>
  openPage(context!, path, screenshot);

async function writePage(dir: string): Promise<string> {
  const { html } = await renderReport(readReportFolder(dir));
  const path = join(dir, "report.html");
  writeFileSync(path, html);
  return path;
}

describe.skipIf(!haveChromium)("report.html in chromium", () => {
  beforeAll(async () => {
    context = await launchChromium(root);
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
