// WebGPU from Node. Browsers (and Deno) have `navigator.gpu`; Node 20 does not. The optional
// `webgpu` package is Dawn's Node binding (Chrome's WebGPU implementation, prebuilt for Linux,
// macOS and Windows inside the npm package): it talks to the GPU through Vulkan, Metal or D3D12.
// This module installs its `navigator.gpu` and WebGPU constants (GPUBufferUsage, ...) on
// globalThis before @tensorflow/tfjs-backend-webgpu is imported, since that package decides at
// import time whether WebGPU exists. It also looks at the adapter first: a software adapter
// (Mesa's llvmpipe, SwiftShader) runs WebGPU on the CPU, slower than wasm, so `auto` passes it by.

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

/** Requests the high-performance adapter (what tfjs asks for) and describes it. */
export async function probeAdapter(gpu: GpuLike): Promise<WebgpuAdapter> {
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (adapter === null) {
    throw new Error(
      "no WebGPU adapter: no GPU driver was found (on Linux, WebGPU needs the Vulkan loader libvulkan1 and the GPU vendor's Vulkan driver)",
    );
  }
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
