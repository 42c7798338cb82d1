// Text to token ids. The default is byte-level: ids 0-255 are the UTF-8 bytes, then four special
// tokens; any UTF-8 text encodes losslessly and there is no vocabulary file to ship.

export interface SpecialTokens {
  bos: number;
  eos: number;
  pad: number;
  /** Fills the positions that the connector's image tokens replace. */
  image: number;
}

export interface Tokenizer {
  readonly kind: "bytes" | "bpe";
  /** Embedding rows the model needs: every id is below this. */
  readonly vocabSize: number;
  readonly special: SpecialTokens;
  encode(text: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
}

/** Byte tokenizer ids: 0-255 bytes, 256 BOS, 257 EOS, 258 PAD, 259 IMAGE; vocabulary 260. */
export const BYTE_SPECIAL: SpecialTokens = { bos: 256, eos: 257, pad: 258, image: 259 };

export class ByteTokenizer implements Tokenizer {
  readonly kind = "bytes";
  readonly vocabSize = 260;
  readonly special = BYTE_SPECIAL;
  private readonly decoder = new TextDecoder("utf-8");

  encode(text: string): Int32Array {
    const bytes = Buffer.from(text, "utf8");
    const ids = new Int32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) ids[i] = bytes[i] ?? 0;
    return ids;
  }

  decode(ids: ArrayLike<number>): string {
    const bytes: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] ?? 0;
      if (id < 256) bytes.push(id);
    }
    return this.decoder.decode(Uint8Array.from(bytes));
  }
}
