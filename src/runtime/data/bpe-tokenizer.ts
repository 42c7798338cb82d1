// BPE (and the other Hugging Face tokenizer models) from a tokenizer.json, through the pure-JS
// @huggingface/tokenizers. Special tokens come from the file; missing ones are appended as new ids
// (`tokenizer-ids.ts` counts the same ids without building the tokenizer, for the checker).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { readRegularFileSync } from "./contained-file.js";
import { DataError } from "./issues.js";
import { MAX_TOKENIZER_BYTES } from "./limits.js";
import { showText } from "./show-text.js";
import type { SpecialTokens, Tokenizer } from "./tokenizer.js";
import { SPECIAL_CANDIDATES as CANDIDATES, tokenName } from "./tokenizer-ids.js";

export class BpeTokenizer implements Tokenizer {
  readonly kind = "bpe";
  readonly vocabSize: number;
  readonly special: SpecialTokens;
  private readonly hf: HfTokenizer;
  private readonly addedNames = new Map<number, string>();

  constructor(tokenizerJson: object, config: object = {}) {
    this.hf = new HfTokenizer(tokenizerJson, config);
    const vocab = this.hf.get_vocab(true);
    let next = 0;
    for (const id of vocab.values()) next = Math.max(next, id + 1);
    const fromConfig = config as Record<string, unknown>;
    const pick = (role: keyof SpecialTokens): number => {
      const named = tokenName(fromConfig[`${role}_token`]);
      for (const name of named ? [named, ...CANDIDATES[role]] : CANDIDATES[role]) {
        const id = this.hf.token_to_id(name);
        if (id !== undefined) return id;
      }
      const id = next++;
      this.addedNames.set(id, `<${role}>`);
      return id;
    };
    const bos = pick("bos");
    const eos = pick("eos");
    this.special = { bos, eos, pad: pick("pad"), image: pick("image") };
    this.vocabSize = next;
  }

  static fromFile(path: string): BpeTokenizer {
    if (!existsSync(path)) {
      throw new DataError(
        `tokenizer file ${path} does not exist (fix: point tokenizer.path at a Hugging Face tokenizer.json, or use the byte tokenizer)`,
      );
    }
    try {
      const read = (p: string) => readRegularFileSync(p, MAX_TOKENIZER_BYTES).toString("utf8");
      const json = JSON.parse(read(path)) as object;
      const configPath = join(dirname(path), "tokenizer_config.json");
      const config = existsSync(configPath) ? (JSON.parse(read(configPath)) as object) : {};
      return new BpeTokenizer(json, config);
    } catch (e) {
      if (e instanceof DataError) throw e;
      throw new DataError(`cannot load tokenizer ${path}: ${showText((e as Error).message)}`);
    }
  }

  encode(text: string): Int32Array {
    return Int32Array.from(this.hf.encode(text, { add_special_tokens: false }).ids);
  }

  decode(ids: ArrayLike<number>): string {
    const known = Array.from(ids).filter((id) => !this.addedNames.has(id));
    return this.hf.decode(known, { skip_special_tokens: false });
  }
}
