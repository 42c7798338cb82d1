// A source document as token ids and images, measured in sequence positions: BOS, each text run,
// `imageTokens` slots per image (per encoder pass of a tiled image: `imageTokens` x its
// overview and crops), EOS. Adjacent text parts are joined by a newline first, except in
// conversations (text parts with `target` set), whose parts are tokenized one by one and keep
// whether they are a training target.
import type { SourceDocument } from "./document.js";
import type { Tokenizer } from "./tokenizer.js";

/** `target: false` text is context only (a conversation's prompt): its loss mask is 0. */
export type TokenPart =
  | { type: "text"; ids: Int32Array; target?: boolean }
  /** `passes`: encoder inputs in `pixels` ([passes, 3, S, S]; a tiled image's overview and crops). */
  | { type: "image"; pixels: Float32Array; ref: string; passes?: number };

export interface TokenizedDocument {
  source: string;
  where: string;
  parts: TokenPart[];
  /** Positions the whole document takes: BOS + text + image slots + EOS. */
  length: number;
  images: number;
}

export function tokenizeDocument(
  doc: SourceDocument,
  tokenizer: Tokenizer,
  imageTokens: number,
  /** Values of one encoder input (3 x S x S) when images are tiled: each part then holds several. */
  passValues?: number,
): TokenizedDocument {
  const parts: TokenPart[] = [];
  let length = 2;
  let images = 0;
  let text: string[] = [];
  const flushText = () => {
    if (text.length === 0) return;
    const ids = tokenizer.encode(text.join("\n"));
    text = [];
    if (ids.length === 0) return;
    parts.push({ type: "text", ids });
    length += ids.length;
  };
  for (const part of doc.parts) {
    if (part.type === "text" && part.target !== undefined) {
      flushText();
      const ids = tokenizer.encode(part.text);
      if (ids.length === 0) continue;
      parts.push({ type: "text", ids, target: part.target });
      length += ids.length;
      continue;
    }
    if (part.type === "text") {
      text.push(part.text);
      continue;
    }
    flushText();
    if (passValues === undefined) {
      parts.push(part);
      length += imageTokens;
    } else {
      const passes = Math.max(1, Math.round(part.pixels.length / passValues));
      parts.push({ ...part, passes });
      length += imageTokens * passes;
    }
    images++;
  }
  flushText();
  return { source: doc.source, where: doc.where, parts, length, images };
}
