// A real WebGPU adapter on a machine without a GPU: Debian's chromium, headless, with SwiftShader
// (Chrome's CPU implementation of Vulkan) behind Dawn. A module that imports the runtime is
// bundled for the browser with esbuild, served from 127.0.0.1 (WebGPU needs a secure context:
// localhost is one, file:// and about:blank are not) and driven through playwright-core; the
// module sets `window.__mmcRun(args)`, and its resolved value comes back as JSON. SwiftShader
// emulates a GPU on the CPU: what it shows is correctness and dispatch counts, never speed.
// Used by bench/webgpu-browser.mjs and the browser tests under test/runtime/.
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { builtinModules } from "node:module";
import { build } from "esbuild";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env["MMC_CHROMIUM"] ?? "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);

const ARGS = [
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--use-webgpu-adapter=swiftshader",
  "--enable-features=Vulkan",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// The runtime's Node-only modules (checkpoints, files, the Dawn probe) are imported but never
// called in the page, nor are the image decoders (built on Node streams): each Node builtin,
// `node:fs` or `fs`, and each decoder package becomes an object whose every member throws.
const STUBBED = [...builtinModules, "pngjs", "jpeg-js"];
const BUILTIN = new RegExp(`^(node:.*|${STUBBED.map((m) => m.replace(/[/]/g, "\\/")).join("|")})$`);
const nodeStub = {
  name: "node-builtins",
  setup(b) {
    b.onResolve({ filter: BUILTIN }, (a) => ({ path: a.path, namespace: "node-stub" }));
    b.onLoad({ filter: /.*/, namespace: "node-stub" }, (a) => ({
      contents:
        `const fail = (name) => () => { throw new Error(${JSON.stringify(a.path)} + "." + name + " is not in the browser"); };\n` +
        // threads.ts asks for the core count at import time.
        "const own = { __esModule: false, availableParallelism: () => 1 };\n" +
        "module.exports = new Proxy(own, { get: (o, k) => (k in o ? o[k] : fail(String(k))) });\n",
      loader: "js",
    }));
  },
};

/** `entry` (a file) bundled for the browser as one ES module's text. */
export async function bundle(entry) {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    define: { "process.env.NODE_ENV": '"production"' },
    plugins: [nodeStub],
  });
  return out.outputFiles[0].text;
}

const PAGE =
  "<!doctype html><meta charset=utf-8><title>mmc webgpu</title>" +
  "<script>globalThis.process = { env: {}, argv: [], stdout: { write() {} }, stderr: { write() {} } };" +
  'addEventListener("error", (e) => { window.__mmcLoadError = String(e.message); });</script>' +
  '<script type="module" src="/bundle.js"></script>';

/**
 * Runs `window.__mmcRun(args)` of the bundled `entry` in chromium; returns `{ value, adapter,
 * logs }`. `adapter` is what navigator.gpu.requestAdapter() found (undefined: none); `logs` holds
 * the page's console lines and errors.
 */
export async function runInChromium(entry, args = {}, { timeoutMs = 300_000 } = {}) {
  const js = await bundle(entry);
  const server = createServer((req, res) => {
    if (req.url === "/bundle.js") {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(js);
    } else if (req.url === "/") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(PAGE);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  const logs = [];
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(timeoutMs);
    page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => logs.push(`page error: ${e.message}`));
    await page.goto(`http://127.0.0.1:${server.address().port}/`, { waitUntil: "load" });
    // A module that fails to load never sets it: wait for either, and say what the page said.
    const ready = await page
      .waitForFunction(
        () => typeof window.__mmcRun === "function" || window.__mmcLoadError !== undefined,
        undefined,
        { timeout: 60_000 },
      )
      .then(
        () => page.evaluate(() => typeof window.__mmcRun === "function"),
        () => false,
      );
    if (!ready) throw new Error(`the page's module did not load:\n${logs.join("\n")}`);
    const adapter = await page.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter();
      if (!a) return undefined;
      return { vendor: a.info?.vendor ?? "", architecture: a.info?.architecture ?? "" };
    });
    const value =
      adapter === undefined && args.needsWebgpu !== false
        ? undefined
        : await page.evaluate((a) => window.__mmcRun(a), args);
    return { value, adapter, logs };
  } finally {
    await browser.close();
    server.close();
  }
}
