// How a prompt becomes the decoder's input, in training's layout (data/packer.ts): each document
// is BOS, its parts in order (text ids; `imageTokens` IMAGE ids per image) and, when it is
// complete, EOS. Few-shot prompts are several documents, the query last and left open. A tiled
// image (its overview and crops) takes `imageTokens` per encoder pass, one slot a pass, in order.
import type { ImageSlot } from "../model.js";
import type { Tokenizer } from "../data/tokenizer.js";
import { ASSISTANT_TAG, TURN_END, USER_TAG } from "../data/conversation.js";

/** Where an image goes in a prompt's text. */
export const IMAGE_MARKER = "<image>";

export type PromptPart =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "image"; readonly image: number };

export interface PromptDocument {
  readonly parts: readonly PromptPart[];
  /** A complete document (a shot) ends with EOS; the query is left open for the model. */
  readonly closed: boolean;
}

export interface LaidOutPrompt {
  readonly tokens: Int32Array;
  /**
   * Row 0; `image` indexes the encoder passes: the images in the order they were numbered in the
   * parts, each taking as many passes as it has (1 untiled).
   */
  readonly slots: readonly ImageSlot[];
}

/**
 * `text` as the user's turn of the fine-tuning chat template (data/conversation.ts), the
 * assistant's turn opened for the model: `User: ` + text + `\n` + `Assistant: `. With no markers
 * the `images` open the user's turn, as in a conversation record without markers.
 */
export function chatPrompt(text: string, images: number): string {
  const opening = countMarkers(text) === 0 ? IMAGE_MARKER.repeat(images) : "";
  return `${USER_TAG}${opening}${text}${TURN_END}${ASSISTANT_TAG}`;
}

/** How many `<image>` markers `text` holds. */
export function countMarkers(text: string): number {
  return text.split(IMAGE_MARKER).length - 1;
}

/**
 * A prompt's parts: the text split at its `<image>` markers, image `first + i` at the i-th; with
 * no marker, the `images` images come first, then the text (as in a caption pair). The caller
 * checks that the marker count equals the image count when there are markers.
 */
export function promptParts(text: string, images: number, first = 0): PromptPart[] {
  const pieces = text.split(IMAGE_MARKER);
  const parts: PromptPart[] = [];
  if (pieces.length === 1) {
    for (let i = 0; i < images; i++) parts.push({ type: "image", image: first + i });
    if (text !== "") parts.push({ type: "text", text });
    return parts;
  }
  pieces.forEach((piece, i) => {
    if (i > 0) parts.push({ type: "image", image: first + i - 1 });
    if (piece !== "") parts.push({ type: "text", text: piece });
  });
  return parts;
}

/**
 * The token ids and image slots of `docs`, laid out one after another in one row. `passes[i]` is
 * the encoder passes of image i (a tiled image's overview and crops; default 1).
 */
export function layoutPrompt(
  docs: readonly PromptDocument[],
  tokenizer: Tokenizer,
  imageTokens: number,
  passes: readonly number[] = [],
): LaidOutPrompt {
  const ids: number[] = [];
  const slots: ImageSlot[] = [];
  const { bos, eos, image } = tokenizer.special;
  const count = (i: number) => passes[i] ?? 1;
  // the first pass of each image: the passes of the images numbered before it
  const firstPass = (i: number) => {
    let at = 0;
    for (let j = 0; j < i; j++) at += count(j);
    return at;
  };
  for (const doc of docs) {
    ids.push(bos);
    for (const part of doc.parts) {
      if (part.type === "text") {
        for (const id of tokenizer.encode(part.text)) ids.push(id);
        continue;
      }
      const first = firstPass(part.image);
      for (let k = 0; k < count(part.image); k++) {
        slots.push({ row: 0, start: ids.length, length: imageTokens, image: first + k });
        for (let j = 0; j < imageTokens; j++) ids.push(image);
      }
    }
    if (doc.closed) ids.push(eos);
  }
  return { tokens: Int32Array.from(ids), slots };
}
