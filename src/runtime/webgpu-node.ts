// WebGPU from Node. Browsers (and Deno) have `navigator.gpu`; Node 20 does not. The optional
// `webgpu` package is Dawn's Node binding (Chrome's WebGPU implementation, prebuilt for Linux,
// macOS and Windows inside the npm package): it talks to the GPU through Vulkan, Metal or D3D12.
// This module installs its `navigator.gpu` and WebGPU constants (GPUBufferUsage, ...) on
// globalThis before @tensorflow/tfjs-backend-webgpu is imported, since that package decides at
// import time whether WebGPU exists. It also looks at the adapter first: a software adapter
// (Mesa's llvmpipe, SwiftShader) runs WebGPU on the CPU, slower than wasm, so `auto` passes it by.
// Dawn writes its own warnings to the process's stderr from native code (`Warning: Couldn't load
// Vulkan`, lines starting `error:`), which Node cannot catch, so the first look at the adapter
// happens in a child process whose output is captured (probeWebgpuIsolated).
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

/** What `requestAdapter` found, in the words of GPUAdapterInfo. */
export interface WebgpuAdapter {
  readonly description: string;
  /** A software (CPU) implementation, such as llvmpipe: correct but slower than wasm. */
  readonly fallback: boolean;
}

interface GpuAdapterLike {
  readonly info?: {
    vendor?: string;
    architecture?: string;
    device?: string;
    description?: string;
    isFallbackAdapter?: boolean;
  };
  readonly isFallbackAdapter?: boolean;
}

interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}

interface WebgpuPackage {
  create(options: string[]): GpuLike;
  globals: Record<string, unknown>;
}

// A variable specifier keeps TypeScript and bundlers from requiring the optional package.
async function importOptional(specifier: string): Promise<unknown> {
  return import(specifier);
}

// Dawn's instance must outlive every device made from it, so it is kept for the process.
let installed: GpuLike | undefined;

function existingGpu(): GpuLike | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  return nav?.gpu;
}

/**
 * Makes `navigator.gpu` available: the platform's own where it exists, else Dawn's from the
 * optional `webgpu` package. Throws an Error that says what is missing.
 */
export async function ensureNavigatorGpu(): Promise<GpuLike> {
  const own = existingGpu();
  if (own !== undefined) return own;
  if (installed !== undefined) return installed;
  let pkg: WebgpuPackage;
  try {
    pkg = (await importOptional("webgpu")) as WebgpuPackage;
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new Error(
      `navigator.gpu is not available and the \`webgpu\` package did not load (${why})`,
    );
  }
  const g = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(pkg.globals)) if (!(name in g)) g[name] = value;
  const gpu = pkg.create([]);
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav === undefined) {
    Object.defineProperty(globalThis, "navigator", {
      value: { gpu },
      configurable: true,
      writable: true,
    });
  } else {
    Object.defineProperty(nav, "gpu", { value: gpu, configurable: true });
  }
  installed = gpu;
  return gpu;
}

/** Describes an adapter (or its copy from the probe process) in the words of GPUAdapterInfo. */
function describeAdapter(adapter: GpuAdapterLike): WebgpuAdapter {
  const info = adapter.info ?? {};
  const parts = [info.vendor, info.architecture, info.description || info.device].filter(
    (p): p is string => typeof p === "string" && p.length > 0,
  );
  const fallback =
    info.isFallbackAdapter === true ||
    adapter.isFallbackAdapter === true ||
    /llvmpipe|lavapipe|swiftshader|software/i.test(parts.join(" "));
  return { description: parts.join(", ") || "unnamed adapter", fallback };
}

const NO_ADAPTER =
  "no WebGPU adapter: no GPU driver was found (on Linux, WebGPU needs the Vulkan loader libvulkan1 and the GPU vendor's Vulkan driver)";

/** Requests the high-performance adapter (what tfjs asks for) and describes it. */
export async function probeAdapter(gpu: GpuLike): Promise<WebgpuAdapter> {
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (adapter === null) throw new Error(NO_ADAPTER);
  return describeAdapter(adapter);
}

/** What probeWebgpuIsolated found: an adapter, or why there is none, and Dawn's own output. */
export interface IsolatedProbe {
  readonly adapter?: WebgpuAdapter;
  /** Why there is no adapter (set exactly when `adapter` is not). */
  readonly error?: string;
  /** Dawn's lines on the child's stdout and stderr, which the user never sees unasked. */
  readonly noise: readonly string[];
}

const PROBE_MARK = "@@mmc-webgpu-probe ";

// Run by `node --input-type=module -e` with the `webgpu` package's file URL as its argument:
// requests the adapter the way tfjs does and prints what it found on one marked line.
const PROBE_SCRIPT = `
const pkg = await import(process.argv[1]);
const create = pkg.create ?? pkg.default?.create;
const gpu = create([]);
const a = await gpu.requestAdapter({ powerPreference: "high-performance" });
const i = a?.info ?? {};
const found = a === null || a === undefined ? null : {
  info: { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter },
  isFallbackAdapter: a.isFallbackAdapter,
};
process.stdout.write("\\n${PROBE_MARK}" + JSON.stringify(found) + "\\n", () => process.exit(0));
`;

/** How long the probe may take (Dawn loads drivers; a broken one may hang). */
export const PROBE_TIMEOUT_MS = 30_000;

/**
 * Looks for a WebGPU adapter in a child process, so Dawn's native warnings stay in the child's
 * captured output instead of the user's terminal. Never throws: a missing package, a crash or
 * a timeout is an `error`.
 */
export async function probeWebgpuIsolated(timeoutMs = PROBE_TIMEOUT_MS): Promise<IsolatedProbe> {
  if (existingGpu() !== undefined) {
    try {
      return { adapter: await probeAdapter(existingGpu() as GpuLike), noise: [] };
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e), noise: [] };
    }
  }
  let url: string;
  try {
    url = pathToFileURL(createRequire(import.meta.url).resolve("webgpu")).href;
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    return {
      error: `navigator.gpu is not available and the \`webgpu\` package did not load (${why})`,
      noise: [],
    };
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", PROBE_SCRIPT, url], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    let done = false;
    const finish = (code: number | null, failure?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const lines = `${out}\n${err}`.split("\n");
      const marked = lines.find((l) => l.startsWith(PROBE_MARK));
      const noise = lines.filter((l) => l.trim() !== "" && !l.startsWith(PROBE_MARK));
      let found: GpuAdapterLike | null | undefined;
      try {
        if (marked !== undefined)
          found = JSON.parse(marked.slice(PROBE_MARK.length)) as GpuAdapterLike | null;
      } catch {
        found = undefined;
      }
      if (found !== undefined) {
        resolve(
          found === null
            ? { error: NO_ADAPTER, noise }
            : { adapter: describeAdapter(found), noise },
        );
        return;
      }
      const why =
        failure ??
        (code === null
          ? `the probe did not answer within ${timeoutMs / 1000} s`
          : `the probe exited with status ${code}`);
      resolve({ error: `looking for a WebGPU adapter failed: ${why}`, noise });
    };
    child.on("error", (e) => finish(null, e.message));
    child.on("close", (code) => finish(code));
  });
}
