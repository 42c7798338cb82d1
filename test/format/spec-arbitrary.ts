// fast-check arbitraries for the formatter's property tests: syntactically valid `.mm` files
// with random layout (spaces, line breaks, blank lines, commas or none) and comments of every
// kind between any two tokens. Meaning is whatever the parser makes of them; the tests check that
// formatting keeps it.
import fc from "fast-check";

/** A piece of a spec: a token, or a place where the layout may vary. */
type Piece = string | { readonly gap: "between" | "optional" };

const BETWEEN: Piece = { gap: "between" };
const OPTIONAL: Piece = { gap: "optional" };

const name = fc.constantFrom(
  "a",
  "tokens",
  "width",
  "llm",
  "model",
  "vision",
  "data",
  "x_1",
  "Foo",
);
const typeName = fc.constantFrom("ViT", "Decoder", "AvgPool", "Tiny", "base");

const scalar: fc.Arbitrary<Piece[]> = fc
  .oneof(
    fc.constantFrom("0", "128", "3e-3", "1_000", "124M", "45%", "80GiB", "0.95", "45:45:10"),
    fc.constantFrom('"text"', '"a \\"q\\" b"', '"data/x-{0000..0003}.tar"', '""'),
    fc.constantFrom("true", "false", "rms", "swiglu"),
    fc.constantFrom("-1", "-0.5"),
  )
  .map((t) => [t]);

function join(items: Piece[][], open: string, close: string, commas: "always" | "maybe"): Piece[] {
  const out: Piece[] = [open, OPTIONAL];
  items.forEach((item, i) => {
    out.push(...item);
    if (i < items.length - 1) {
      out.push(OPTIONAL, commas === "always" ? "," : "?,", OPTIONAL);
    } else out.push(OPTIONAL, "?,");
  });
  out.push(OPTIONAL, close);
  return out;
}

const value: fc.Memo<Piece[]> = fc.memo((depth: number) => {
  if (depth <= 0) return scalar;
  const list = fc
    .array(value(depth - 1), { maxLength: 4 })
    .map((items) => join(items, "[", "]", "always"));
  const body = fc
    .array(field(depth - 1), { maxLength: 4 })
    .map((items) => join(items, "{", "}", "maybe"));
  return fc.oneof(
    { weight: 3, arbitrary: scalar },
    { weight: 1, arbitrary: list },
    { weight: 1, arbitrary: body },
    { weight: 1, arbitrary: fc.tuple(typeName, body).map(([n, b]): Piece[] => [n, BETWEEN, ...b]) },
    {
      weight: 1,
      arbitrary: fc.tuple(typeName, list).map(([n, l]): Piece[] => [n, OPTIONAL, ...l]),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom("", "45% ", "10%  "),
          fc.constantFrom("jsonl", "swiglu"),
          fc.array(fc.tuple(fc.option(name), value(depth - 1)), { maxLength: 3 }),
        )
        .map(([weight, callee, args]): Piece[] => [
          ...(weight ? [weight.trim(), BETWEEN] : []),
          callee,
          OPTIONAL,
          ...join(
            args.map(([n, v]) => (n ? [n, OPTIONAL, ":", OPTIONAL, ...v] : v)),
            "(",
            ")",
            "always",
          ),
        ]),
    },
  );
});

const path = fc
  .array(name, { minLength: 1, maxLength: 3 })
  .map((parts) => parts.flatMap((p, i): Piece[] => (i === 0 ? [p] : [OPTIONAL, ".", OPTIONAL, p])));

function field(depth: number): fc.Arbitrary<Piece[]> {
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .tuple(path, value(depth))
        .map(([p, v]) => [...p, OPTIONAL, ":", OPTIONAL, ...v]),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(
          fc
            .tuple(path, fc.constantFrom("<=", "<", ">=", ">", "=="), scalar)
            .map(([p, op, v]): Piece[] => [...p, OPTIONAL, op, OPTIONAL, ...v]),
          { maxLength: 3 },
        )
        .map((bounds): Piece[] => ["budget", OPTIONAL, ...join(bounds, "{", "}", "maybe")]),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(path, value(depth))
        .map(([p, v]): Piece[] => ["vary", BETWEEN, ...p, OPTIONAL, ":", OPTIONAL, ...v]),
    },
  );
}

const declName = fc.constantFrom("Tiny", "M_1", "base", "CAbs144", "run");

const declaration: fc.Arbitrary<Piece[]> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom("model", "data", "train", "sweep"),
      declName,
      fc.option(declName),
      fc.array(field(2), { maxLength: 5 }),
    )
    .map(([kw, n, base, fields]): Piece[] => [
      kw,
      BETWEEN,
      n,
      ...(base ? [OPTIONAL, "=", OPTIONAL, base] : []),
      OPTIONAL,
      ...join(fields, "{", "}", "maybe"),
    ]),
  fc
    .tuple(fc.constantFrom("encoder", "connector", "llm", "moe"), declName, value(2))
    .map(([kw, n, v]): Piece[] => [kw, BETWEEN, n, OPTIONAL, "=", OPTIONAL, ...v]),
  fc.array(declName, { maxLength: 3 }).map((names): Piece[] => [
    "import",
    OPTIONAL,
    ...join(
      names.map((n) => [n]),
      "{",
      "}",
      "always",
    ),
    OPTIONAL,
    "from",
    OPTIONAL,
    '"std/llm"',
  ]),
);

/** What may stand where the layout varies; a line comment always ends its line. */
const gapText = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(" ", "\n", "  ", "\n  ", "\t") },
  { weight: 2, arbitrary: fc.constantFrom("\n\n", "\n\n\n    ", "\r\n", " \n \n") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      " /* c */ ",
      "/*c*/",
      " // end of line\n",
      "      // aligned far right\n",
      "\n// own line\n",
      "\n\n  // after a blank line\n\n",
      "\n/// doc\n",
      " /* two\n   lines */ ",
      "\n/* own-line block */\n",
      " // trailing spaces   \n",
    ),
  },
);

/** Renders pieces with the chosen gaps: `?,` is a comma or nothing. */
function render(pieces: Piece[], gaps: string[], flips: boolean[]): string {
  let out = "";
  let g = 0;
  let f = 0;
  let prevWord = false;
  for (const p of pieces) {
    if (typeof p === "string") {
      const t = p === "?," ? (flips[f++ % flips.length] ? "," : "") : p;
      const word = /^[\w"-]/.test(t);
      // Two name-like tokens must not touch.
      if (word && prevWord && !/\s$/.test(out)) out += " ";
      out += t;
      if (t !== "") prevWord = /[\w"%]$/.test(t);
      continue;
    }
    const gap = gaps[g++ % gaps.length] ?? " ";
    if (p.gap === "between" || gap.trim() !== "" || flips[f++ % flips.length]) {
      out += gap;
      if (gap !== "") prevWord = false;
    }
  }
  return out;
}

export const specText: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(declaration, { minLength: 1, maxLength: 5 }),
    fc.array(gapText, { minLength: 1, maxLength: 40 }),
    fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
    fc.array(gapText, { maxLength: 3 }),
  )
  .map(([decls, gaps, flips, lead]) =>
    render(
      [{ gap: "optional" }, ...decls.flatMap((d): Piece[] => ["\n", ...d, BETWEEN])],
      [...lead, ...gaps],
      flips,
    ),
  );
