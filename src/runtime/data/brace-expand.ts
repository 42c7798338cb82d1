// Expands shard patterns the way WebDataset users write them: `a-{0000..0003}.tar` (zero padding
// kept from the first bound) and `{train,val}.jsonl`, several groups per pattern.

export function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf("{");
  if (open < 0) return [pattern];
  const close = pattern.indexOf("}", open);
  if (close < 0) return [pattern];
  const head = pattern.slice(0, open);
  const body = pattern.slice(open + 1, close);
  const tails = expandBraces(pattern.slice(close + 1));
  const choices = expandGroup(body);
  if (choices === null) return tails.map((t) => `${head}{${body}}${t}`);
  const out: string[] = [];
  for (const c of choices) for (const t of tails) out.push(head + c + t);
  return out;
}

function expandGroup(body: string): string[] | null {
  const range = /^(-?\d+)\.\.(-?\d+)$/.exec(body);
  if (range) {
    const [, a = "0", b = "0"] = range;
    const from = Number(a);
    const to = Number(b);
    const width = a.replace("-", "").length;
    const step = from <= to ? 1 : -1;
    const out: string[] = [];
    for (let i = from; step > 0 ? i <= to : i >= to; i += step) {
      out.push(
        String(Math.abs(i))
          .padStart(width, "0")
          .replace(/^/, i < 0 ? "-" : ""),
      );
    }
    return out;
  }
  if (body.includes(",")) return body.split(",");
  return null;
}
