// The PyTorch side of the step benchmark: a long-lived bench/torch-step.py child started with its
// BLAS and thread settings already in the environment (OpenBLAS reads them when it loads), with
// OpenBLAS's kernel checked against the CPU's real feature level and fixed when it fell back to
// a generic one, and every setting verified from inside the child.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cpus } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./torch-step.py", import.meta.url));

/** A setting that did not take effect, or a reference that would not run at its best. */
export class ReferenceError extends Error {}

// OpenBLAS core names (driver/others/dynamic.c) by the widest vector ISA their kernels use.
const CORE_LEVELS = {
  sse3: [
    "katmai",
    "coppermine",
    "northwood",
    "prescott",
    "banias",
    "atom",
    "core2",
    "penryn",
    "dunnington",
    "nehalem",
    "athlon",
    "opteron",
    "opteron_sse3",
    "barcelona",
    "nano",
    "bobcat",
  ],
  avx: ["sandybridge", "bulldozer", "piledriver", "steamroller"],
  avx2: ["haswell", "excavator", "zen"],
  avx512: ["skylakex", "cooperlake", "sapphirerapids"],
};
const LEVELS = ["sse3", "avx", "avx2", "avx512"];
/** The core to ask for at each level (OPENBLAS_CORETYPE). */
const BEST_CORE = { sse3: "Prescott", avx: "Sandybridge", avx2: "Haswell", avx512: "SkylakeX" };

function coreLevel(name) {
  const n = name.toLowerCase();
  return LEVELS.find((l) => CORE_LEVELS[l].includes(n));
}

/** CPU model, logical cores and the vector feature level from /proc/cpuinfo's flags. */
export function cpuInfo() {
  let text = "";
  try {
    text = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    // not Linux: no flags, no level; the core is then left as OpenBLAS chose it
  }
  const model = /^model name\s*:\s*(.*)$/m.exec(text)?.[1] ?? cpus()[0]?.model ?? "unknown";
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(text)?.[1] ?? "").split(/\s+/));
  const has = (...names) => names.every((f) => flags.has(f));
  const level = has("avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd")
    ? "avx512"
    : has("avx2", "fma")
      ? "avx2"
      : has("avx")
        ? "avx"
        : has("pni")
          ? "sse3"
          : undefined;
  const shown = ["sse4_2", "avx", "fma", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512_bf16"];
  return { model, cores: cpus().length, level, flags: shown.filter((f) => flags.has(f)) };
}

/** The first interpreter that imports torch (Debian's is /usr/bin/python3). */
export function torchPython(explicit) {
  for (const py of explicit ? [explicit] : ["python3", "/usr/bin/python3"]) {
    try {
      execFileSync(py, ["-c", "import torch"], { stdio: "ignore" });
      return py;
    } catch {
      // try the next interpreter
    }
  }
  return undefined;
}

/** One torch-step.py server (or `script`'s): JSON commands in, one JSON line back each. */
export class TorchChild {
  constructor(py, env, script = SCRIPT) {
    this.proc = spawn(py, [script, "serve"], { env, stdio: ["pipe", "pipe", "pipe"] });
    this.stderr = "";
    this.proc.stderr.on("data", (d) => (this.stderr = (this.stderr + d).slice(-4000)));
    this.waiting = [];
    this.exited = undefined;
    createInterface({ input: this.proc.stdout }).on("line", (line) => {
      const next = this.waiting.shift();
      if (next === undefined) return;
      try {
        const out = JSON.parse(line);
        if (out.error !== undefined) next.reject(new ReferenceError(`torch-step.py: ${out.error}`));
        else next.resolve(out);
      } catch {
        next.reject(new ReferenceError(`torch-step.py printed a line that is not JSON: ${line}`));
      }
    });
    this.proc.on("exit", (code, signal) => {
      this.exited = signal ?? code;
      const tail = this.stderr.trim().split("\n").slice(-8).join("\n");
      for (const w of this.waiting.splice(0))
        w.reject(new ReferenceError(`torch-step.py exited (${this.exited})\n${tail}`));
    });
  }

  request(cmd) {
    if (this.exited !== undefined)
      return Promise.reject(new ReferenceError(`torch-step.py is not running (${this.exited})`));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.proc.stdin.write(`${JSON.stringify(cmd)}\n`);
    });
  }

  async close() {
    if (this.exited !== undefined) return;
    const gone = new Promise((r) => this.proc.once("exit", r));
    await this.request({ op: "quit" }).catch(() => undefined);
    this.proc.stdin.end();
    await gone;
  }
}

/** The environment every torch child gets: threads = `threads`, OpenMP threads sleep when idle. */
function referenceEnv(threads, options, coretype) {
  const env = {
    ...process.env,
    OPENBLAS_NUM_THREADS: String(threads),
    OMP_NUM_THREADS: String(threads),
    MKL_NUM_THREADS: String(threads),
    OMP_WAIT_POLICY: "PASSIVE",
  };
  if (options.blasDir !== undefined)
    env.LD_LIBRARY_PATH = [options.blasDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":");
  if (coretype !== undefined) env.OPENBLAS_CORETYPE = coretype;
  return env;
}

function blasName(info) {
  if (info.openblas) return `OpenBLAS (${info.openblas.library})`;
  const lib = info.libraries.find((p) => /blas|mkl/i.test(p)) ?? "none found";
  if (/mkl/i.test(lib)) return `MKL (${lib})`;
  if (/\/blas\/libblas\.so/.test(lib)) return `the reference BLAS, netlib (${lib})`;
  return `an unrecognised BLAS (${lib})`;
}

/** An installed OpenBLAS folder holding libblas.so.3 (Debian's layout), pthread build first. */
function installedOpenblas() {
  const arch = { x64: "x86_64", arm64: "aarch64" }[process.arch];
  if (arch === undefined) return undefined;
  return ["openblas-pthread", "openblas-openmp", "openblas-serial"]
    .map((d) => `/usr/lib/${arch}-linux-gnu/${d}`)
    .find((d) => existsSync(join(d, "libblas.so.3")));
}

const FIX_BLAS =
  "install OpenBLAS (`apt-get install libopenblas0-pthread`), or unpack it without installing " +
  "(`apt-get download libopenblas0-pthread && dpkg-deb -x libopenblas0-pthread_*.deb DIR`) and " +
  "pass `--torch-blas DIR/usr/lib/x86_64-linux-gnu/openblas-pthread` (or set MMC_TORCH_BLAS to it); " +
  "`--allow-slow-blas` runs anyway";

/**
 * Starts the reference for `threads` threads. Options: python, blasDir (put first on
 * LD_LIBRARY_PATH), keepCoretype (leave an OPENBLAS_CORETYPE from the environment as it is),
 * allowSlowBlas. Returns { child, settings } (settings.env: the child's environment) or throws ReferenceError with what to do.
 */
export async function startReference(threads, options = {}) {
  const py = torchPython(options.python);
  if (py === undefined)
    throw new ReferenceError("no python3 imports torch (Debian's is /usr/bin/python3)");
  if (options.blasDir !== undefined && !existsSync(join(options.blasDir, "libblas.so.3")))
    throw new ReferenceError(
      `--torch-blas ${options.blasDir} has no libblas.so.3: pass the folder that holds it ` +
        "(for Debian's package, DIR/usr/lib/x86_64-linux-gnu/openblas-pthread)",
    );
  const cpu = cpuInfo();
  const inherited = process.env.OPENBLAS_CORETYPE;
  let child = new TorchChild(py, referenceEnv(threads, options, undefined));
  let info = await child.request({ op: "info" });
  const settings = { python: py, cpu, first: info, coretype: inherited, notes: [] };
  const installed = options.blasDir === undefined ? installedOpenblas() : undefined;
  if (info.openblas === null && !/mkl/i.test(blasName(info)) && installed !== undefined) {
    // an OpenBLAS is installed but the alternatives system points libblas.so.3 elsewhere
    settings.notes.push(`${blasName(info)} was loaded; restarted with ${installed} first`);
    options = { ...options, blasDir: installed };
    await child.close();
    child = new TorchChild(py, referenceEnv(threads, options, undefined));
    info = await child.request({ op: "info" });
    settings.first = info;
  }
  if (info.openblas === null) {
    const fast = /mkl/i.test(blasName(info));
    if (!fast && options.allowSlowBlas !== true) {
      await child.close();
      throw new ReferenceError(
        `PyTorch loads ${blasName(info)}, not an optimised BLAS: its reference would not run at ` +
          `its best. ${FIX_BLAS}`,
      );
    }
    if (!fast) settings.notes.push(`running on ${blasName(info)} (--allow-slow-blas)`);
  } else {
    const core = info.openblas.corename;
    const level = coreLevel(core);
    const keep = options.keepCoretype === true && inherited !== undefined;
    if (level === undefined) settings.notes.push(`OpenBLAS core ${core} is not in the level table`);
    else if (cpu.level !== undefined && !keep) {
      if (LEVELS.indexOf(level) < LEVELS.indexOf(cpu.level)) {
        // OpenBLAS reads OPENBLAS_CORETYPE when it loads: a fresh child, started with it set
        settings.coretype = BEST_CORE[cpu.level];
        settings.notes.push(
          `OpenBLAS chose ${core} (${level}) on a CPU with ${cpu.level}` +
            (inherited === undefined ? "" : ` (OPENBLAS_CORETYPE=${inherited} was set)`) +
            `: restarted with OPENBLAS_CORETYPE=${settings.coretype}`,
        );
        await child.close();
        child = new TorchChild(py, referenceEnv(threads, options, settings.coretype));
        info = await child.request({ op: "info" });
        const now = info.openblas?.corename ?? "none";
        if (now.toLowerCase() !== settings.coretype.toLowerCase()) {
          await child.close();
          throw new ReferenceError(
            `OPENBLAS_CORETYPE=${settings.coretype} did not take effect: OpenBLAS reports ${now}` +
              ` (${info.openblas?.config ?? "no config"}; only DYNAMIC_ARCH builds switch kernels)`,
          );
        }
      }
    }
    if (info.openblas.threads !== threads) {
      await child.close();
      throw new ReferenceError(
        `OpenBLAS runs ${info.openblas.threads} threads, not ${threads} (OPENBLAS_NUM_THREADS)`,
      );
    }
  }
  if (info.torchThreads !== threads) {
    await child.close();
    throw new ReferenceError(`torch runs ${info.torchThreads} threads, not ${threads}`);
  }
  settings.info = info;
  settings.blas = blasName(info);
  // what another child needs to run with the same verified settings (bench/pytorch-step.mjs)
  settings.env = referenceEnv(threads, options, settings.coretype);
  return { child, settings };
}

/** The settings block: what the reference runs with, as verified inside the child. */
export function settingsLines(s) {
  const i = s.info;
  const ob = i.openblas;
  const first = s.first.openblas;
  const lines = [
    `cpu: ${s.cpu.model}, ${s.cpu.cores} logical cores, ${s.cpu.flags.join(" ") || "no flags read"} (level ${s.cpu.level ?? "unknown"})`,
    `PyTorch ${i.torch} (${s.python}, python ${i.python}), torch BLAS_INFO=${i.blasInfo}, BLAS: ${s.blas}`,
  ];
  if (ob) {
    lines.push(
      `OpenBLAS core: ${first.corename} as loaded${ob.corename === first.corename ? " (kept)" : `, ${ob.corename} after OPENBLAS_CORETYPE=${s.coretype}`}; ${ob.config}`,
    );
  }
  lines.push(
    `threads: torch ${i.torchThreads} (interop ${i.interopThreads})${ob ? `, OpenBLAS ${ob.threads}` : ""}; ` +
      `env OPENBLAS_NUM_THREADS=${i.env.OPENBLAS_NUM_THREADS} OMP_NUM_THREADS=${i.env.OMP_NUM_THREADS} ` +
      `MKL_NUM_THREADS=${i.env.MKL_NUM_THREADS} OMP_WAIT_POLICY=${i.env.OMP_WAIT_POLICY}` +
      (i.env.OPENBLAS_L2_SIZE ? ` OPENBLAS_L2_SIZE=${i.env.OPENBLAS_L2_SIZE}` : "") +
      (i.env.LD_LIBRARY_PATH ? ` LD_LIBRARY_PATH=${i.env.LD_LIBRARY_PATH}` : ""),
  );
  for (const n of s.notes) lines.push(`note: ${n}`);
  return lines;
}
