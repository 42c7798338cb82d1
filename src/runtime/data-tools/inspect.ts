// `mmc data inspect`: the realised mixture over K draws against the declared weights, tokens per
// source, and one packed sequence shown as text with <image> markers.
import { IssueSink, type DataIssue, type IssueOptions } from "../data/issues.js";
import { MixtureSampler } from "../data/mixture-sampler.js";
import { loadTokenizer, openDataStream } from "../data/data-stream.js";
import { imagesIn, type PackedSequence } from "../data/packer.js";
import { resolveImageOptions, type DataSpec, type ImageOptions } from "../data/spec.js";
import { escapeControls } from "../data/show-text.js";
import { renderSkipSummary, skipSummary, type SkipSummary } from "../data/skip-summary.js";
import type { Tokenizer } from "../data/tokenizer.js";

export interface InspectOptions extends IssueOptions {
  /** Documents to draw for the realised mixture. */
  samples: number;
  imageTokens: number;
  sequence: number;
  image?: Partial<ImageOptions>;
  tokenizer?: Tokenizer;
}

export interface InspectSource {
  name: string;
  /** Normalised declared weight. */
  declared: number;
  samples: number;
  /** Share of the drawn documents. */
  realised: number;
  tokens: number;
  /** Share of the drawn tokens (positions, image slots included). */
  tokenShare: number;
  meanTokens: number;
  /** Passes over the source; a lower bound while the pass size is unknown. */
  epochs: number;
  /** Usable documents per pass, once a whole pass was read. */
  samplesPerEpoch: number | null;
  dead: boolean;
}

export interface InspectResult {
  name: string;
  weighting: DataSpec["weighting"];
  samples: number;
  sources: InspectSource[];
  example: {
    sequence: number;
    imageTokens: number;
    rendered: string;
    images: number;
    textTokens: number;
    /** Positions that are training targets (the loss mask): fewer than the text for conversations. */
    targets: number;
    padTokens: number;
    documents: { source: string; where: string }[];
  };
  warnings: string[];
  issueCounts: Record<string, Record<string, number>>;
  /** What the draws skipped, per source and reason (as a run prints it at its end). */
  skipped: SkipSummary;
}

export async function inspect(spec: DataSpec, options: InspectOptions): Promise<InspectResult> {
  const warnings: string[] = [];
  const onWarning = (issue: DataIssue, rendered: string) => {
    warnings.push(rendered);
    options.onWarning?.(issue, rendered);
  };
  const tokenizer = options.tokenizer ?? loadTokenizer(spec);
  const issues = new IssueSink({ ...options, onWarning });
  const sampler = new MixtureSampler(spec, {
    tokenizer,
    imageTokens: options.imageTokens,
    image: resolveImageOptions(options.image, spec),
    issues,
  });
  try {
    for (let i = 0; i < options.samples; i++) await sampler.next();
  } finally {
    await sampler.close();
  }
  const cursors = sampler.sourceCursors;
  const totalSamples = cursors.reduce((s, c) => s + c.samples, 0);
  const totalTokens = cursors.reduce((s, c) => s + c.tokens, 0);
  const weightSum = spec.sources.reduce((s, x) => s + x.weight, 0);
  const perEpoch = sampler.samplesPerEpoch();
  const sources = cursors.map((c, i): InspectSource => {
    const per = perEpoch[i] ?? null;
    return {
      name: c.name,
      declared: (spec.sources[i]?.weight ?? 0) / weightSum,
      samples: c.samples,
      realised: totalSamples ? c.samples / totalSamples : 0,
      tokens: c.tokens,
      tokenShare: totalTokens ? c.tokens / totalTokens : 0,
      meanTokens: c.samples ? c.tokens / c.samples : 0,
      epochs: per ? c.samples / per : c.epoch,
      samplesPerEpoch: per,
      dead: c.dead,
    };
  });

  const stream = openDataStream(spec, { ...options, tokenizer, onWarning: undefined });
  let seq: PackedSequence;
  try {
    seq = await stream.nextSequence();
  } finally {
    await stream.close();
  }
  const stats = stream.packerStats();
  return {
    name: spec.name,
    weighting: spec.weighting,
    samples: totalSamples,
    sources,
    example: {
      sequence: options.sequence,
      imageTokens: options.imageTokens,
      rendered: renderSequence(seq, tokenizer),
      images: imagesIn(seq),
      textTokens: stats.textTokens,
      targets: seq.lossMask.reduce((n, m) => n + m, 0),
      padTokens: stats.padTokens,
      documents: seq.documents.map((d) => ({ source: d.source, where: d.where })),
    },
    warnings,
    issueCounts: issues.summary(),
    skipped: skipSummary(issues),
  };
}

/** A packed sequence as text: <bos>, <eos>, one <image> per image slot, <pad xN>. */
export function renderSequence(seq: PackedSequence, tokenizer: Tokenizer): string {
  const { bos, eos, pad, image } = tokenizer.special;
  const out: string[] = [];
  let text: number[] = [];
  const flush = () => {
    if (text.length) out.push(tokenizer.decode(text));
    text = [];
  };
  const slotAt = new Map(seq.imageSlots.map((s) => [s.start, s]));
  let i = 0;
  while (i < seq.tokens.length) {
    const t = seq.tokens[i] ?? pad;
    const slot = slotAt.get(i);
    if (slot) {
      flush();
      out.push("<image>");
      i += slot.length;
      continue;
    }
    if (t === bos || t === eos || t === image) {
      flush();
      out.push(t === bos ? "<bos>" : t === eos ? "<eos>" : "<image?>");
    } else if (t === pad) {
      flush();
      let n = 0;
      while (i + n < seq.tokens.length && seq.tokens[i + n] === pad) n++;
      out.push(`<pad x${n}>`);
      i += n;
      continue;
    } else {
      text.push(t);
    }
    i++;
  }
  flush();
  return out.join("");
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function renderInspect(result: InspectResult): string {
  const lines: string[] = [];
  lines.push(
    `data \`${result.name}\`: ${result.samples} documents drawn, weighting by ${result.weighting}`,
  );
  lines.push("");
  const header = [
    "source",
    "declared",
    "realised",
    "tokens",
    "token share",
    "tokens/doc",
    "passes",
  ];
  const rows = result.sources.map((s) => [
    s.dead ? `${s.name} (left out)` : s.name,
    pct(s.declared),
    pct(s.realised),
    String(s.tokens),
    pct(s.tokenShare),
    s.meanTokens.toFixed(1),
    s.samplesPerEpoch === null ? `<${s.epochs + 1}` : s.epochs.toFixed(2),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const fmt = (r: string[]) =>
    r.map((x, c) => (c === 0 ? x.padEnd(widths[c] ?? 0) : x.padStart(widths[c] ?? 0))).join("  ");
  lines.push(fmt(header));
  for (const r of rows) lines.push(fmt(r));
  const ex = result.example;
  lines.push("");
  lines.push(
    `one packed sequence (length ${ex.sequence}, ${ex.imageTokens} positions per image): ${ex.images} images, ${ex.textTokens} text tokens, ${ex.targets} training targets, ${ex.padTokens} padding`,
  );
  lines.push(escapeControls(ex.rendered, true)); // the data's own text: no terminal controls
  if (result.warnings.length) {
    lines.push("");
    lines.push(`${result.warnings.length} warnings:`);
    for (const w of result.warnings.slice(0, 20)) lines.push(`  ${w}`);
  }
  const skipped = renderSkipSummary(result.skipped);
  lines.push("");
  lines.push(skipped ?? `no samples skipped in ${result.samples} draws`);
  return lines.join("\n");
}
