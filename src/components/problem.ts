// A small constructor for problems, so each kind's shape rules read as one line of intent each.
import type { Problem } from "./types.js";

export interface ProblemExtras {
  readonly related?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly help?: string;
  readonly notes?: readonly string[];
  readonly severity?: "error" | "warning";
}

export function problem(
  code: string,
  message: string,
  fields: readonly string[],
  extras: ProblemExtras = {},
): Problem {
  return {
    code,
    severity: extras.severity ?? "error",
    message,
    fields,
    ...(extras.related === undefined ? {} : { related: extras.related }),
    ...(extras.labels === undefined ? {} : { labels: extras.labels }),
    ...(extras.help === undefined ? {} : { help: extras.help }),
    ...(extras.notes === undefined ? {} : { notes: extras.notes }),
  };
}

/** `width % heads == 0`, shared by every attention-bearing kind. */
export function headsProblem(width: number, heads: number, headDimHint: boolean): Problem {
  const lower = Math.max(1, Math.floor(width / heads));
  const options = divisorsNear(width, heads);
  return problem(
    "MM2207",
    `\`width\` ${width} is not divisible by \`heads\` ${heads}`,
    ["heads", "width"],
    {
      labels: { heads: `${heads} heads`, width: `width ${width}` },
      help:
        `use a number of heads that divides ${width} (${options.join(", ")})` +
        (headDimHint ? `, or give \`head_dim\` (e.g. \`head_dim: ${lower}\`)` : ""),
    },
  );
}

/** Up to three divisors of `n` nearest to `near`, in ascending order. */
export function divisorsNear(n: number, near: number): number[] {
  const ds: number[] = [];
  for (let d = 1; d * d <= n; d++) {
    if (n % d === 0) {
      ds.push(d);
      if (d * d !== n) ds.push(n / d);
    }
  }
  ds.sort((a, b) => Math.abs(a - near) - Math.abs(b - near) || a - b);
  return ds.slice(0, 3).sort((a, b) => a - b);
}
