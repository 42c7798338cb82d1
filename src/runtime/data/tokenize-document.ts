// A source document as token ids and images, measured in sequence positions: BOS, each text run,
// `imageTokens` slots per image, EOS. Adjacent text parts are joined by a newline first, except
// in conversations (text parts with `target` set), whose parts are tokenized one by one and keep
// whether they are a training target.
import type { SourceDocument } from "./document.js";
import type { Tokenizer } from "./tokenizer.js";

/** `target: false` text is context only (a conversation's prompt): its loss mask is 0. */
export type TokenPart =
  | { type: "text"; ids: Int32Array; target?: boolean }
  | { type: "image"; pixels: Float32Array; ref: string };

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
    parts.push(part);
    length += imageTokens;
    images++;
  }
  flushText();
  return { source: doc.source, where: doc.where, parts, length, images };
}
