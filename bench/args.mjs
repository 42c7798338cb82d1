// The command-line reading the step benchmarks share: `--name` flags, `--name VALUE` options and
// positive whole-number options that exit 2 with what they take.
export function benchArgs(args = process.argv.slice(2)) {
  const flag = (name) => args.includes(`--${name}`);
  const option = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : fallback;
  };
  /** A positive integer option, or exit 2 saying what it takes. */
  const count = (name, fallback) => {
    const raw = option(name, fallback);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) {
      console.error(`--${name} takes a positive whole number, not ${raw}`);
      process.exit(2);
    }
    return n;
  };
  return { args, flag, option, count };
}
