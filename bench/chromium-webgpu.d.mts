// Types of chromium-webgpu.mjs for the TypeScript tests that use it.
export declare const CHROMIUM: string;
export declare const haveChromium: boolean;
export declare function bundle(entry: string): Promise<string>;
export interface ChromiumRun<T> {
  /** What `window.__mmcRun(args)` resolved to; undefined where there was no WebGPU adapter. */
  readonly value: T | undefined;
  /** What navigator.gpu.requestAdapter() found; undefined: no adapter. */
  readonly adapter: { vendor: string; architecture: string } | undefined;
  /** The page's console lines and errors. */
  readonly logs: string[];
}
export declare function runInChromium<T = unknown>(
  entry: string,
  args?: Record<string, unknown>,
  options?: { timeoutMs?: number },
): Promise<ChromiumRun<T>>;
