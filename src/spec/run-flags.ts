// The flags of a run, once: `mmc run` parses its command line with this table, a generated train
// entry (`node train-tiny.js --steps 20`) parses its own with the same table and parser, and both
// `mmc run --help` and the entry's comment list the flags from it. `mmc run` hands the runtime
// the parsed `RunFlags` object, never an argv.

/** The backends a run can ask for (the runtime's BackendChoice). */
export const BACKEND_CHOICES = ["auto", "tensorflow", "webgpu", "wasm", "cpu"] as const;
export type BackendFlag = (typeof BACKEND_CHOICES)[number];

/** The most wasm threads a run may ask for (the runtime's MAX_WASM_THREADS). */
export const MAX_WASM_THREADS = 8;

/** The code-generation targets `mmc run --target` takes (src/codegen/pytorch/target.ts's TARGETS). */
export const RUN_TARGETS = ["typescript", "pytorch"] as const;

export type RunFlagValue =
  | { readonly kind: "switch" }
  | { readonly kind: "int"; readonly min: number; readonly max?: number; readonly meta: string }
  | { readonly kind: "choice"; readonly choices: readonly string[] }
  | { readonly kind: "string"; readonly meta: string }
  /** `--resume [DIR]`: a value when the next word is not a flag. */
  | { readonly kind: "optional"; readonly meta: string };

export interface RunFlag {
  readonly name: string;
  readonly value: RunFlagValue;
  readonly doc: string;
  /** `entry`: the generated entry and `mmc run`; `mmc`: `mmc run` only. */
  readonly scope: "entry" | "mmc";
}

export const RUN_FLAGS: readonly RunFlag[] = [
  {
    name: "train",
    value: { kind: "string", meta: "NAME" },
    doc: "the `train` to run (default: the file's only one, or its first)",
    scope: "mmc",
  },
  {
    name: "steps",
    value: { kind: "int", min: 1, meta: "N" },
    doc: "train this many steps in all instead of the spec's `steps`",
    scope: "entry",
  },
  {
    name: "backend",
    value: { kind: "choice", choices: BACKEND_CHOICES },
    doc: "the TensorFlow.js backend (auto: the first of tensorflow, webgpu, wasm, cpu that loads)",
    scope: "entry",
  },
  {
    name: "threads",
    value: { kind: "int", min: 1, max: MAX_WASM_THREADS, meta: "N" },
    doc: `the wasm backend's threads, 1 to ${MAX_WASM_THREADS} (default: MMC_THREADS, else 2, or 1 on a single-core machine)`,
    scope: "entry",
  },
  {
    name: "out",
    value: { kind: "string", meta: "DIR" },
    doc: "the run folder (metrics.jsonl, checkpoints; default: the train's `checkpoint.dir`, else runs/<train> beside the spec)",
    scope: "entry",
  },
  {
    name: "resume",
    value: { kind: "optional", meta: "DIR" },
    doc: "continue from the newest checkpoint in DIR that verifies (default: the run folder), exactly where it stopped",
    scope: "entry",
  },
  {
    name: "fresh",
    value: { kind: "switch" },
    doc: "move a run already in the run folder to DIR.old-N (nothing is deleted) and start over",
    scope: "entry",
  },
  {
    name: "strict",
    value: { kind: "switch" },
    doc: "stop at the first bad sample instead of skipping it",
    scope: "entry",
  },
  {
    name: "dry-run",
    value: { kind: "switch" },
    doc: "print what would run, where, and its derived numbers; train nothing, write nothing",
    scope: "mmc",
  },
  {
    name: "json",
    value: { kind: "switch" },
    doc: "with --dry-run: print it as one JSON object",
    scope: "mmc",
  },
  {
    name: "target",
    value: { kind: "choice", choices: RUN_TARGETS },
    doc: "`pytorch`: compile the PyTorch package and run its train.py (docs/pytorch.md)",
    scope: "mmc",
  },
  {
    name: "nproc",
    value: { kind: "int", min: 1, meta: "N" },
    doc: "with --target pytorch: N processes through torchrun (one per GPU; gloo on CPUs)",
    scope: "mmc",
  },
  {
    name: "format",
    value: { kind: "choice", choices: ["rich", "short", "json"] },
    doc: "how the checker's diagnostics are printed",
    scope: "mmc",
  },
  {
    name: "no-color",
    value: { kind: "switch" },
    doc: "no colour in diagnostics",
    scope: "mmc",
  },
  {
    name: "trace",
    value: { kind: "switch" },
    doc: "show the stack of an internal error",
    scope: "mmc",
  },
];

/** The options of one run as the runtime takes them (RunOptions adds the progress sink). */
export interface RunFlags {
  readonly backend?: BackendFlag;
  /** The wasm backend's threads; default MMC_THREADS, else DEFAULT_WASM_THREADS. */
  readonly threads?: number;
  /** Train this many steps in all instead of the spec's `steps`. */
  readonly steps?: number;
  /** The run folder instead of the spec's (`--out DIR`). */
  readonly runDir?: string;
  /** Continue from the checkpoint in this folder (or the run folder when `true`). */
  readonly resume?: string | boolean;
  /** Move a previous run in the run folder aside (to `<dir>.old-N`) and start over. */
  readonly fresh?: boolean;
  readonly strict?: boolean;
}

/** `mmc run`'s own flags, besides the run's (`--train`, `--dry-run`, ...). */
export interface MmcRunFlags {
  readonly train?: string;
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly target?: (typeof RUN_TARGETS)[number];
  readonly nproc?: number;
  readonly format?: "rich" | "short" | "json";
  readonly noColor: boolean;
  readonly trace: boolean;
}

/** A bad command line: the message says which flag and what it takes (exit 2). */
export class RunFlagError extends Error {}

export interface ParsedRunFlags {
  readonly run: RunFlags;
  readonly mmc: MmcRunFlags;
  readonly positionals: readonly string[];
  /** The flags given, by name (to refuse combinations: `--backend` with `--target pytorch`). */
  readonly given: ReadonlySet<string>;
}

/** Control characters in a word from the command line, shown as escapes. */
function shown(s: string): string {
  return s.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`,
  );
}

function flagsOf(scope: "entry" | "mmc"): readonly RunFlag[] {
  return scope === "entry" ? RUN_FLAGS.filter((f) => f.scope === "entry") : RUN_FLAGS;
}

/** `--steps N`, `--resume [DIR]`, `--backend auto|tensorflow|...`. */
export function flagSynopsis(f: RunFlag): string {
  switch (f.value.kind) {
    case "switch":
      return `--${f.name}`;
    case "int":
    case "string":
      return `--${f.name} ${f.value.meta}`;
    case "choice":
      return `--${f.name} ${f.value.choices.join("|")}`;
    case "optional":
      return `--${f.name} [${f.value.meta}]`;
  }
}

/** The flags of a scope, one per line with its doc, for `--help` and the entry's comment. */
export function runFlagsHelp(scope: "entry" | "mmc"): string {
  const rows = flagsOf(scope).map((f) => [flagSynopsis(f), f.doc] as const);
  const width = Math.max(...rows.map(([s]) => s.length));
  return rows.map(([s, d]) => `  ${s.padEnd(width)}  ${d}`).join("\n");
}

/**
 * Parses a run's command line with the table: `--flag value`, `--flag=value`, switches, and
 * `--resume` with or without a folder. `entry` takes the run's flags only and no positionals;
 * `mmc` takes every flag and the spec file. Throws RunFlagError on a bad command line.
 */
export function parseRunFlags(argv: readonly string[], scope: "entry" | "mmc"): ParsedRunFlags {
  const table = flagsOf(scope);
  const values = new Map<string, string | number | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--" && scope === "mmc") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      if (scope === "entry")
        throw new RunFlagError(
          `unexpected argument \`${shown(a)}\` (options: ${optionList(table)})`,
        );
      positionals.push(a);
      continue;
    }
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const name = (eq === -1 ? a : a.slice(0, eq)).replace(/^--?/, "");
    const inline = eq === -1 ? undefined : a.slice(eq + 1);
    const flag = table.find((f) => f.name === name);
    if (!flag)
      throw new RunFlagError(`unknown option \`${shown(a)}\` (options: ${optionList(table)})`);
    if (values.has(name)) throw new RunFlagError(`\`--${name}\` is given twice`);
    const v = flag.value;
    if (v.kind === "switch") {
      if (inline !== undefined) throw new RunFlagError(`\`--${name}\` takes no value`);
      values.set(name, true);
      continue;
    }
    if (v.kind === "optional") {
      const next = argv[i + 1];
      if (inline !== undefined) values.set(name, inline === "" ? true : inline);
      else if (next !== undefined && !next.startsWith("-")) {
        values.set(name, next);
        i++;
      } else values.set(name, true);
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new RunFlagError(`\`--${name}\` needs a value`);
    if (v.kind === "int") {
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < v.min || (v.max !== undefined && n > v.max))
        throw new RunFlagError(
          v.max !== undefined
            ? `\`--${name}\` must be a whole number from ${v.min} to ${v.max}, not \`${shown(raw)}\``
            : `\`--${name}\` must be a whole number of at least ${v.min}, not \`${shown(raw)}\``,
        );
      values.set(name, n);
    } else if (v.kind === "choice") {
      if (!v.choices.includes(raw))
        throw new RunFlagError(
          `\`--${name}\` must be one of ${v.choices.join(", ")}, not \`${shown(raw)}\``,
        );
      values.set(name, raw);
    } else {
      if (raw === "") throw new RunFlagError(`\`--${name}\` needs a value`);
      values.set(name, raw);
    }
  }
  if (values.has("fresh") && values.has("resume"))
    throw new RunFlagError(
      "`--resume` continues the run in the folder and `--fresh` moves it aside: give one of them",
    );
  const resume = values.get("resume");
  const out = values.get("out") as string | undefined;
  if (typeof resume === "string" && out !== undefined && resume !== out)
    throw new RunFlagError(
      "`--resume DIR` and `--out DIR` both name the run folder: give one of them (`--out DIR --resume` resumes in DIR)",
    );
  const str = (k: string) => values.get(k) as string | undefined;
  const int = (k: string) => values.get(k) as number | undefined;
  const on = (k: string) => values.get(k) === true;
  const run: RunFlags = {
    ...(values.has("backend") ? { backend: str("backend") as BackendFlag } : {}),
    ...(values.has("threads") ? { threads: int("threads")! } : {}),
    ...(values.has("steps") ? { steps: int("steps")! } : {}),
    ...(out !== undefined ? { runDir: out } : {}),
    ...(resume !== undefined ? { resume: resume as string | true } : {}),
    ...(on("fresh") ? { fresh: true } : {}),
    ...(on("strict") ? { strict: true } : {}),
  };
  const mmc: MmcRunFlags = {
    ...(values.has("train") ? { train: str("train")! } : {}),
    dryRun: on("dry-run"),
    json: on("json"),
    ...(values.has("target") ? { target: str("target") as MmcRunFlags["target"] } : {}),
    ...(values.has("nproc") ? { nproc: int("nproc")! } : {}),
    ...(values.has("format") ? { format: str("format") as MmcRunFlags["format"] } : {}),
    noColor: on("no-color"),
    trace: on("trace"),
  };
  return { run, mmc, positionals, given: new Set(values.keys()) };
}

function optionList(table: readonly RunFlag[]): string {
  return table.map(flagSynopsis).join(", ");
}

/**
 * The run folder: `--resume DIR`, else `--out DIR`, else the train's checkpoint folder, else its
 * `runDir` (`runs/<name>` in the spec's folder), else `runs/<name>` in the working folder.
 */
export function runFolder(
  config: {
    readonly name: string;
    readonly checkpoint?: { readonly dir: string };
    readonly runDir?: string;
  },
  flags: Pick<RunFlags, "resume" | "runDir">,
): string {
  if (typeof flags.resume === "string") return flags.resume;
  return flags.runDir ?? config.checkpoint?.dir ?? config.runDir ?? `runs/${config.name}`;
}
