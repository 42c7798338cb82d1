// Command-line parsing: `mmc <command> [positionals] [--flag value | --switch]`. Unknown flags
// and missing values are usage errors (exit 2), reported with the command's usage line.

export interface FlagSpec {
  /** Flags that take a value (`--format json`, `--format=json`, `-o dir`). */
  readonly values: readonly string[];
  /** Flags that are on or off. */
  readonly switches: readonly string[];
  /** Short aliases: `-o` for `--out`. */
  readonly aliases?: Readonly<Record<string, string>>;
}

export interface ParsedArgs {
  readonly positionals: string[];
  readonly values: Map<string, string>;
  readonly switches: Set<string>;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const positionals: string[] = [];
  const values = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i] ?? "";
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    let inline: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq !== -1) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const name = spec.aliases?.[arg] ?? arg.replace(/^--?/, "");
    if (spec.values.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`\`--${name}\` needs a value`);
      values.set(name, value);
    } else if (spec.switches.includes(name)) {
      if (inline !== undefined) throw new UsageError(`\`--${name}\` takes no value`);
      switches.add(name);
    } else {
      const all = [...spec.values, ...spec.switches].map((f) => `--${f}`).join(", ");
      throw new UsageError(`unknown option \`${arg}\`${all ? ` (options: ${all})` : ""}`);
    }
  }
  return { positionals, values, switches };
}

export function intFlag(args: ParsedArgs, name: string, min = 0): number | undefined {
  const raw = args.values.get(name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min)
    throw new UsageError(`\`--${name}\` must be an integer of at least ${min}, not \`${raw}\``);
  return Number(raw);
}

export function choiceFlag<T extends string>(
  args: ParsedArgs,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = args.values.get(name);
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw))
    throw new UsageError(
      `\`--${name}\` must be one of ${choices.map((c) => `\`${c}\``).join(", ")}, not \`${raw}\``,
    );
  return raw as T;
}

/**
 * The diagnostics format: `--format rich|short|json`, with `--json` the same as `--format json`
 * (every command with JSON output takes `--json`); both given must agree.
 */
export function formatFlag(args: ParsedArgs): "rich" | "short" | "json" {
  const format = choiceFlag(args, "format", ["rich", "short", "json"] as const, "rich");
  if (!args.switches.has("json")) return format;
  if (args.values.has("format") && format !== "json")
    throw new UsageError(`\`--json\` and \`--format ${format}\` disagree: give one of them`);
  return "json";
}
