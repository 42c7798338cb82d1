// What every connector shares: its input width `in` comes from the encoder and its output width
// `out` from the language model unless written (then they must agree), and the pooling grid rules.
import type { FieldRecord } from "./fields.js";
import { WIDTH, getInt, inferred, sized } from "./fields.js";
import { LIMITS } from "./limits.js";
import { problem } from "./problem.js";
import type { Config, FieldSpec, Problem, ResolveContext, TokenShape } from "./types.js";

/** Stand-in encoder output when a connector preset is inspected alone: CLIP ViT-L/14 at 336 px. */
export const STAND_IN_INPUT: TokenShape = { tokens: 576, width: 1024, grid: [24, 24] };
/** Stand-in language model width when a connector preset is inspected alone. */
export const STAND_IN_LLM_WIDTH = 2048;

export const IN_FIELD: FieldSpec = {
  name: "in",
  doc: "input width; must equal the encoder's `width`",
  type: WIDTH,
  default: inferred("`vision.width`"),
};

export const OUT_FIELD: FieldSpec = {
  name: "out",
  doc: "output width; must equal the language model's `width`",
  type: WIDTH,
  default: inferred("`llm.width`"),
};

export const TOKENS_FIELD: FieldSpec = {
  name: "tokens",
  doc: "image tokens per image after the connector (a square number for pooling: 144 = 12x12)",
  type: sized(LIMITS.tokens),
  default: { kind: "value", value: 144 },
};

/** What every resolved connector config holds about its input and output, typed. */
export interface ConnectorIoConfig {
  /** Input width (the encoder's) and output width (the language model's). */
  readonly in: number;
  readonly out: number;
  /** Context: the encoder's tokens and their patch grid (`grid_h` x `grid_w`). */
  readonly inTokens: number;
  readonly grid: readonly [number, number];
}

/** The shared part of a connector config returned by `resolve` (`ok: true`). */
export function connectorIoConfig(c: Config): ConnectorIoConfig {
  return {
    in: getInt(c, "in"),
    out: getInt(c, "out"),
    inTokens: getInt(c, "in_tokens"),
    grid: [getInt(c, "grid_h"), getInt(c, "grid_w")],
  };
}

export interface ConnectorIo {
  readonly input: TokenShape;
  readonly inferred: Record<string, string>;
  readonly assumed: string[];
  readonly problems: Problem[];
}

/**
 * Fill `in` and `out` from the neighbours (or stand-ins) and check written ones against them.
 * Also stores the input token count and grid as `in_tokens`, `grid_h`, `grid_w` in `fields`.
 */
export function resolveConnectorIo(fields: FieldRecord, context: ResolveContext): ConnectorIo {
  const inferredFrom: Record<string, string> = {};
  const assumed: string[] = [];
  const problems: Problem[] = [];
  const writtenIn = fields["in"] as number | undefined;
  const writtenOut = fields["out"] as number | undefined;
  let input = context.input;
  if (input === undefined) {
    input = { ...STAND_IN_INPUT, width: writtenIn ?? STAND_IN_INPUT.width };
    assumed.push(
      `encoder output ${input.tokens} tokens of width ${input.width} (no encoder given)`,
    );
  } else if (writtenIn !== undefined && writtenIn !== input.width) {
    problems.push(
      problem(
        "MM2202",
        `connector input width ${writtenIn} does not match the encoder width ${input.width}`,
        ["in"],
        {
          related: ["vision.width"],
          labels: {
            in: `the connector reads width ${writtenIn}`,
            "vision.width": `the encoder produces width ${input.width}`,
          },
          help: `write \`in: ${input.width}\`, or leave \`in\` out and it is taken from \`vision.width\``,
        },
      ),
    );
  }
  if (writtenIn === undefined) {
    fields["in"] = input.width;
    inferredFrom["in"] = "`vision.width`";
  }
  let llmWidth = context.llmWidth;
  if (llmWidth === undefined) {
    llmWidth = writtenOut ?? STAND_IN_LLM_WIDTH;
    if (writtenOut === undefined)
      assumed.push(`language model width ${llmWidth} (no language model given)`);
  } else if (writtenOut !== undefined && writtenOut !== llmWidth) {
    problems.push(
      problem("MM2203", "connector output width does not match the language model width", ["out"], {
        related: ["llm.width"],
        labels: {
          out: `the connector produces width ${writtenOut}`,
          "llm.width": `the language model reads width ${llmWidth}`,
        },
        notes: [
          `the connector produces width ${writtenOut}; the language model reads width ${llmWidth}`,
        ],
        help: `write \`out: ${llmWidth}\`, or leave \`out\` out and it is taken from \`llm.width\``,
      }),
    );
  }
  if (writtenOut === undefined) {
    fields["out"] = llmWidth;
    inferredFrom["out"] = "`llm.width`";
  }
  const grid = input.grid ?? [input.tokens, 1];
  fields["in_tokens"] = input.tokens;
  fields["grid_h"] = grid[0];
  fields["grid_w"] = grid[1];
  return { input, inferred: inferredFrom, assumed, problems };
}

/**
 * The rules for connectors that pool the patch grid to sqrt(tokens) x sqrt(tokens): a square input
 * grid, a square token count, and no growing. Returns the output side, or problems.
 */
export function checkPooling(
  input: TokenShape,
  tokens: number,
  kindName: string,
): { side: number; problems: Problem[] } {
  const problems: Problem[] = [];
  const side = Math.round(Math.sqrt(tokens));
  const grid = input.grid;
  if (grid === undefined || grid[0] !== grid[1]) {
    const shown =
      grid === undefined ? `${input.tokens} tokens with no grid` : `${grid[0]}x${grid[1]}`;
    problems.push(
      problem(
        "MM2204",
        `\`${kindName}\` needs a square patch grid, but the encoder gives ${shown}`,
        [],
        {
          related: ["image"],
          ...(grid === undefined
            ? {}
            : { labels: { image: `a ${grid[0]}x${grid[1]} patch grid` } }),
          help: "make the image height equal to its width",
        },
      ),
    );
  }
  if (side * side !== tokens) {
    const lo = Math.floor(Math.sqrt(tokens));
    problems.push(
      problem("MM2205", `\`tokens\` ${tokens} is not a square number`, ["tokens"], {
        help: `write \`tokens: ${lo * lo}\` (${lo}x${lo}) or \`tokens: ${(lo + 1) * (lo + 1)}\` (${lo + 1}x${lo + 1})`,
      }),
    );
  } else if (grid !== undefined && grid[0] === grid[1] && side > grid[0]) {
    problems.push(
      problem(
        "MM2206",
        `\`tokens\` ${tokens} (${side}x${side}) is more than the encoder's ${grid[0]}x${grid[1]} patch grid`,
        ["tokens"],
        {
          related: ["vision.patch", "image"],
          labels: {
            tokens: `a ${side}x${side} grid`,
            image: `the encoder gives ${article(grid[0])} ${grid[0]}x${grid[1]} patch grid`,
          },
          help: `write \`tokens: ${grid[0] * grid[1]}\` or fewer, or use a larger image or a smaller patch`,
        },
      ),
    );
  }
  return { side, problems };
}

/** "a" or "an" before a grid side as it is read aloud (an 8, an 11, an 18, a 12). */
function article(n: number): string {
  return String(n).startsWith("8") || n === 11 || n === 18 ? "an" : "a";
}
