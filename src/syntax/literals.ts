// Decoding of literal tokens: numbers with scale, percent and byte units, ratios, and strings
// with escapes. Each returns a value or a problem; the AST step turns problems into diagnostics.
import type { NumberUnit } from "./ast.js";

export const SCALE_SUFFIXES: Record<string, number> = { K: 1e3, M: 1e6, B: 1e9, T: 1e12 };
export const BYTE_SUFFIXES: Record<string, number> = {
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
};

export type LiteralResult<T> =
  { ok: true; value: T } | { ok: false; message: string; help: string };

export interface DecodedNumber {
  value: number;
  unit: NumberUnit;
}

const NUMBER_SHAPE = /^(\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)([A-Za-z][A-Za-z0-9_]*)?(%)?$/;

export function decodeNumber(text: string): LiteralResult<DecodedNumber> {
  const m = NUMBER_SHAPE.exec(text);
  if (!m)
    return {
      ok: false,
      message: `\`${text}\` is not a number`,
      help: "write a number such as `128`, `3e-4`, `124M` or `45%`",
    };
  const [, digits = "", suffix, percent] = m;
  if (digits.includes("__") || digits.endsWith("_")) {
    return {
      ok: false,
      message: `misplaced \`_\` in \`${text}\``,
      help: "use `_` only between digits, as in `124_439_808`",
    };
  }
  const base = Number(digits.replace(/_/g, ""));
  if (suffix !== undefined && percent !== undefined) {
    return {
      ok: false,
      message: `\`${text}\` has both a unit and a \`%\``,
      help: `write \`${digits}%\` or \`${digits}${suffix}\``,
    };
  }
  let value = base;
  let unit: NumberUnit = "none";
  if (percent !== undefined) {
    value = base / 100;
    unit = "percent";
  } else if (suffix !== undefined) {
    const scale = SCALE_SUFFIXES[suffix];
    const bytes = BYTE_SUFFIXES[suffix];
    if (scale !== undefined) {
      value = base * scale;
      unit = "scale";
    } else if (bytes !== undefined) {
      value = base * bytes;
      unit = "bytes";
    } else {
      return {
        ok: false,
        message: `unknown unit \`${suffix}\` in \`${text}\``,
        help: unitHelp(suffix),
      };
    }
  }
  if (!Number.isFinite(value)) {
    return {
      ok: false,
      message: `\`${text}\` is too large to represent`,
      help: "numbers must be below about 1.8e308",
    };
  }
  // A whole number past 2^53 - 1 is not exact in a double: `steps: 9999...` would silently
  // become another number. Reals (`.` or an exponent) are approximate by nature.
  if (!/[.eE]/.test(digits) && value > Number.MAX_SAFE_INTEGER) {
    return {
      ok: false,
      message: `\`${text}\` is larger than 9,007,199,254,740,991 (2^53 - 1), the largest whole number mmc reads exactly`,
      help: "write a smaller number; no size or count in a spec comes near this",
    };
  }
  // `3.2B` is 3200000000 exactly, not 3200000000.0000005.
  const exact = unit === "scale" || unit === "bytes" ? Math.round(value * 1e6) / 1e6 : value;
  return { ok: true, value: { value: exact, unit } };
}

function unitHelp(suffix: string): string {
  if (/^[oO]+$/.test(suffix)) return "`O` is a letter: write the digit `0` (zero)";
  const all = [...Object.keys(SCALE_SUFFIXES), ...Object.keys(BYTE_SUFFIXES)];
  const close = all.find((u) => u.toLowerCase() === suffix.toLowerCase());
  if (close) return `units are case-sensitive: write \`${close}\``;
  return "use a scale (`K`, `M`, `B`, `T`), a byte size (`KiB`, `MiB`, `GiB`, `TiB`, `KB`, `MB`, `GB`, `TB`) or `%`";
}

export function decodeRatio(text: string): LiteralResult<number[]> {
  const parts = text.split(":").map((p) => Number(p.replace(/_/g, "")));
  if (parts.some((p) => !Number.isFinite(p))) {
    return {
      ok: false,
      message: `\`${text}\` is not a valid ratio`,
      help: "write a ratio such as `45:45:10`",
    };
  }
  return { ok: true, value: parts };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  "0": "\0",
  '"': '"',
  "\\": "\\",
  "'": "'",
};

export interface StringProblem {
  /** Offset of the problem inside the token text. */
  offset: number;
  length: number;
  message: string;
  help: string;
}

/** Decodes a string token (with its quotes). Unknown escapes are reported and kept as written. */
export function decodeString(text: string): { value: string; problems: StringProblem[] } {
  const problems: StringProblem[] = [];
  const closed = text.length >= 2 && text.endsWith('"') && !isEscapedQuote(text);
  const inner = text.slice(1, closed ? -1 : undefined);
  let out = "";
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i] ?? "";
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = inner[i + 1] ?? "";
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      i++;
      continue;
    }
    if (next === "u") {
      const m =
        /^u\{([0-9a-fA-F]{1,6})\}/.exec(inner.slice(i + 1)) ??
        /^u([0-9a-fA-F]{4})/.exec(inner.slice(i + 1));
      const code = m ? parseInt(m[1] ?? "", 16) : NaN;
      if (m && code <= 0x10ffff) {
        out += String.fromCodePoint(code);
        i += m[0].length;
        continue;
      }
    }
    problems.push({
      offset: i + 1,
      length: Math.min(2, inner.length - i),
      message: `unknown escape \`\\${next}\` in a string`,
      help: 'valid escapes are `\\n`, `\\t`, `\\r`, `\\0`, `\\"`, `\\\\` and `\\u{1F600}`; write `\\\\` for a backslash',
    });
    out += c + next;
    i++;
  }
  return { value: out, problems };
}

function isEscapedQuote(text: string): boolean {
  // `"abc\"` ends with an escaped quote, not a closing one.
  let backslashes = 0;
  for (let i = text.length - 2; i >= 0 && text[i] === "\\"; i--) backslashes++;
  return backslashes % 2 === 1;
}
