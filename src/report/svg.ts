// Renders a chart's Vega-Lite spec to an SVG string in Node: vega-lite compiles it to a Vega
// spec, and a headless Vega view (no DOM, no canvas) writes the SVG. The view's loader refuses
// every request: the charts carry their data inline, and a report never reaches the network.
import * as vega from "vega";
import { compile } from "vega-lite";
import type { Chart } from "./charts.js";

const noNetwork: vega.Loader = {
  ...vega.loader(),
  load: (uri) => Promise.reject(new Error(`the report loads nothing (asked for ${uri})`)),
  sanitize: (uri) => Promise.reject(new Error(`the report loads nothing (asked for ${uri})`)),
  http: (uri) => Promise.reject(new Error(`the report loads nothing (asked for ${uri})`)),
  file: (uri) => Promise.reject(new Error(`the report loads nothing (asked for ${uri})`)),
};

/** Warnings from vega-lite and Vega (e.g. a log scale over zero) are collected, not printed. */
function quietLogger(warnings: string[]): vega.LoggerInterface {
  let level = vega.Warn;
  const logger: vega.LoggerInterface = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error(...args: readonly unknown[]) {
      throw new Error(args.map(String).join(" "));
    },
    warn(...args: readonly unknown[]) {
      warnings.push(args.map(String).join(" "));
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  } as vega.LoggerInterface;
  return logger;
}

export async function renderSvg(chart: Chart): Promise<{ svg: string; warnings: string[] }> {
  const warnings: string[] = [];
  const logger = quietLogger(warnings);
  const compiled = compile(chart.spec, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), {
    renderer: "none",
    loader: noNetwork,
    logger,
  });
  try {
    const svg = await view.toSVG();
    return { svg, warnings };
  } finally {
    view.finalize();
  }
}
