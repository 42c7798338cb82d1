// Loading report.html in Debian's chromium (headless, offline) and reading back what it drew:
// each chart's marks and size, the table cells, console errors and requests. Shared by the
// report's browser test and the sweep's end-to-end test (a real sweep's page).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM = process.env["MMC_CHROMIUM"] ?? "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);
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

export interface ChartSeen {
  id: string;
  title: string;
  mark: string;
  expected: number;
  found: number;
  width: number;
  height: number;
  emptyPaths: number;
}

export interface PageSeen {
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

/** A headless chromium with its profile under `root`; close it when done. */
export function launchChromium(root: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(join(root, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
    offline: true,
  });
}

export async function openPage(
  context: BrowserContext,
  path: string,
  screenshot: string,
): Promise<PageSeen> {
  const page = await context.newPage();
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
