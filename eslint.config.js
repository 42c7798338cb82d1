// Lint rules: typescript-eslint's recommended set, plus the layout of docs/architecture.md: which
// folder of src/ may import which (the LAYERS table, checked by the local rule `mmc/layers`), and
// which folders may touch the `process` global (PROCESS_ALLOWED). test/lint/layers.test.ts proves
// both fire.
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import tseslint from "typescript-eslint";

const ROOT = dirname(fileURLToPath(import.meta.url));

// Each area of src/ and the areas it may import (its own files always). An area is a folder of
// src/ (or one of runtime/'s three programs, or a single file); a file belongs to the longest
// area its path starts with. The compiler stages run one way: source, diagnostics <- syntax <-
// resolve <- check <- codegen <- cli; components and metrics import nothing, spec only the components' limits; the runtime
// library only components and spec (and tfjs); its programs the library.
const STAGES = ["source", "diagnostics", "syntax", "resolve", "check", "codegen"];
const LEAVES = ["components", "spec"];
const RUNTIME_LIB = ["runtime", ...LEAVES];
export const LAYERS = {
  source: [],
  components: [],
  // the settings tables and run types: the components' limits at most (MAX_WASM_THREADS, ...)
  spec: ["components"],
  metrics: [],
  diagnostics: ["source", "components"],
  syntax: ["source", "diagnostics"],
  resolve: ["source", "diagnostics", "syntax", ...LEAVES],
  check: ["source", "diagnostics", "syntax", "resolve", ...LEAVES],
  codegen: [...STAGES, ...LEAVES],
  "pipeline.ts": ["source", "diagnostics", "syntax", "resolve", "check", ...LEAVES],
  // a second user of the syntax stage (mmc fmt, the language server's formatting)
  format: ["source", "diagnostics", "syntax"],
  // a thin adapter over the pipeline, like the CLI, but never the runtime, codegen or the disk
  lsp: ["source", "diagnostics", "syntax", "resolve", "check", "format", "pipeline.ts", ...LEAVES],
  // the runtime library that generated code imports: layers, ops, model, params, optimizer,
  // checkpoints, data readers, backends
  runtime: LEAVES,
  // the tools behind `mmc data synth|inspect`
  "runtime/data-tools": RUNTIME_LIB,
  // the training program: driver, resume, metrics log, evaluation, interrupts, memory plan
  "runtime/run": [...RUNTIME_LIB, "runtime/data-tools", "runtime/generate"],
  // running a trained model: `mmc generate` and `mmc eval`, and the benchmark tasks in a run
  "runtime/generate": [...RUNTIME_LIB, "runtime/run", "metrics"],
  // `mmc/runtime`, the package's public export: the library and the programs' entries
  "runtime/index.ts": [...RUNTIME_LIB, "runtime/run", "runtime/generate"],
  report: ["check", ...LEAVES],
  // the runner behind `mmc sweep`, beside the CLI (it shares the CLI's atomic file writer)
  sweep: ["check", "report", "runtime", "runtime/run", "cli", "source", "diagnostics", ...LEAVES],
  cli: [
    ...STAGES,
    ...LEAVES,
    "pipeline.ts",
    "format",
    "lsp",
    "report",
    "sweep",
    "metrics",
    "runtime",
    "runtime/data-tools",
    "runtime/run",
    "runtime/generate",
    "runtime/index.ts",
  ],
};

// Folders whose code may use the `process` global (or import node:process): the CLI and the
// training program, and the few others that run or stand for a process, each with its reason.
export const PROCESS_ALLOWED = {
  "src/cli": "the command line",
  "src/runtime/run": "the training program (signals, its stdout, run.lock's pid)",
  "src/runtime/generate":
    "the runtime half of `mmc generate` and `mmc eval` (their terminal, temp files by pid)",
  "src/sweep": "runs a sweep's trainings as child processes and forwards signals to them",
  "src/runtime/backend.ts": "reads MMC_THREADS, and writes backend notes to stderr by default",
  "src/runtime/webgpu-node.ts": "the WebGPU probe runs in a child `node` (process.execPath)",
  "src/runtime/checkpoint/store.ts":
    "temp files are named by pid, the pattern run-folder.ts and the PyTorch target recognise",
};

// Packages an area may not import: TensorFlow.js is the runtime's alone, `node:process` is
// the `process` global by another name, and the stages, the formatter and the language server do
// no file I/O (the CLI hands them a file host). Metrics import nothing at all.
const NODE_IO = ["node:fs", "node:fs/promises", "node:child_process"];
const NO_IO = ["source", "diagnostics", "syntax", "resolve", "check", "format", "lsp"];

/** Why `area` (or `file`) may not import the package `spec`, or undefined where it may. */
function packageProblem(area, file, spec) {
  if (spec.startsWith("@tensorflow/") && area !== "runtime" && !area.startsWith("runtime/"))
    return "TensorFlow.js is the runtime's alone";
  if ((spec === "node:process" || spec === "process") && processReason(file) === undefined)
    return "only the CLI and the training program touch `process` (PROCESS_ALLOWED)";
  if (area === "metrics" && (spec.startsWith("node:") || spec.startsWith("@tensorflow/")))
    return "metrics are pure functions over strings: no I/O";
  if (NO_IO.includes(area) && NODE_IO.includes(spec))
    return "this folder does no file I/O (the CLI hands it a file host)";
  return undefined;
}

/** The reason `file` (relative to src/) may touch `process`, or undefined. */
function processReason(file) {
  for (const [path, reason] of Object.entries(PROCESS_ALLOWED)) {
    const p = path.slice("src/".length);
    if (file === p || file.startsWith(`${p}/`)) return reason;
  }
  return undefined;
}

/** The area of a path relative to src/ ("runtime/run/driver.ts" -> "runtime/run"). */
function areaOf(srcRelative) {
  let best;
  for (const area of Object.keys(LAYERS))
    if (
      (srcRelative === area || srcRelative.startsWith(`${area}/`)) &&
      (best === undefined || area.length > best.length)
    )
      best = area;
  return best;
}

/** A path's part under src/, in POSIX form, or undefined outside src/. */
function underSrc(path) {
  const rel = relative(join(ROOT, "src"), path).split(sep).join("/");
  return rel.startsWith("../") || rel === ".." || rel.startsWith("/") ? undefined : rel;
}

const layersRule = {
  meta: {
    type: "problem",
    docs: { description: "imports follow the stage dependency direction (docs/architecture.md)" },
    schema: [],
    messages: {
      wrongWay:
        "src/{{from}} may not import src/{{to}}: {{from}} may import only {{allowed}} (the LAYERS table in eslint.config.js, docs/architecture.md)",
      package: "src/{{from}} may not import {{spec}}: {{why}} (eslint.config.js)",
    },
  },
  create(context) {
    const file = underSrc(resolve(context.filename));
    const from = file === undefined ? undefined : areaOf(file);
    if (from === undefined) return {};
    const allowed = new Set(LAYERS[from]);
    const check = (node) => {
      const spec = node?.type === "Literal" ? node.value : undefined;
      if (typeof spec !== "string") return;
      if (!spec.startsWith(".")) {
        const why = packageProblem(from, file, spec);
        if (why !== undefined)
          context.report({ node, messageId: "package", data: { from, spec, why } });
        return;
      }
      const target = underSrc(resolve(dirname(resolve(context.filename)), spec));
      const to = target === undefined ? undefined : areaOf(target.replace(/\.js$/, ".ts"));
      if (to === undefined || to === from || allowed.has(to)) return;
      context.report({
        node,
        messageId: "wrongWay",
        data: { from, to, allowed: allowed.size > 0 ? [...allowed].join(", ") : "nothing" },
      });
    };
    return {
      ImportDeclaration: (n) => check(n.source),
      ExportNamedDeclaration: (n) => check(n.source),
      ExportAllDeclaration: (n) => check(n.source),
      ImportExpression: (n) => check(n.source),
    };
  },
};

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "grammar/dist/**",
      "node_modules/**",
      "out/**",
      "runs/**",
      "data/**",
      "examples/data/**",
      "examples/runs/**",
      "**/.mmc/**",
      "test/**/fixtures/**",
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  {
    files: ["src/**/*.ts"],
    plugins: { mmc: { rules: { layers: layersRule } } },
    rules: {
      "mmc/layers": "error",
      "no-restricted-globals": [
        "error",
        {
          name: "process",
          message:
            "only the CLI and the training program touch `process` (PROCESS_ALLOWED in eslint.config.js): take what is needed as a parameter",
        },
      ],
    },
  },
  {
    files: Object.keys(PROCESS_ALLOWED).map((p) => (p.endsWith(".ts") ? p : `${p}/**/*.ts`)),
    rules: { "no-restricted-globals": "off" },
  },
);
