// How many ids a Hugging Face tokenizer.json gives, without building the tokenizer: a scanner
// that walks the JSON bytes once, decodes only `model.vocab`'s ids and the few special-token
// names mmc looks for, and skips the rest (merges, normalizers) in constant memory. The checker
// (through the CLI's host) compares the count with `llm.vocab`; `BpeTokenizer` uses the same
// names and appends missing special tokens the same way (test/data/tokenizer-ids.test.ts).

/** The special tokens mmc needs, and the names it looks for each under (in order). */
export const SPECIAL_CANDIDATES = {
  bos: ["<|begin_of_text|>", "<s>", "<bos>", "<|startoftext|>", "<|im_start|>"],
  eos: ["<|end_of_text|>", "</s>", "<eos>", "<|endoftext|>", "<|im_end|>"],
  pad: ["<pad>", "<|pad|>", "[PAD]", "<|finetune_right_pad_id|>"],
  image: ["<image>", "<|image|>", "<|image_pad|>"],
} as const satisfies Record<string, readonly string[]>;

export type SpecialRole = keyof typeof SPECIAL_CANDIDATES;
export const SPECIAL_ROLES: readonly SpecialRole[] = ["bos", "eos", "pad", "image"];

export interface TokenizerIds {
  /** Every id the tokenizer can produce is below this: the embedding needs this many rows. */
  readonly ids: number;
  /** Ids in the file (the largest plus one), before missing special tokens are appended. */
  readonly inFile: number;
  /** The special tokens the file lacks, appended after its ids. */
  readonly appended: readonly SpecialRole[];
}

/** A JSON value nested deeper than this is refused rather than walked (no real file comes near). */
const MAX_DEPTH = 256;

class ScanError extends Error {}

/**
 * The ids of a tokenizer.json given as bytes, with `config` the parsed tokenizer_config.json
 * (its `bos_token` and the like name a role's token first). Throws an Error with a short reason
 * when the bytes are not a JSON object.
 */
export function countTokenizerIds(bytes: Uint8Array, config: unknown = {}): TokenizerIds {
  const named = new Map<SpecialRole, string>();
  if (config && typeof config === "object") {
    for (const role of SPECIAL_ROLES) {
      const name = tokenName((config as Record<string, unknown>)[`${role}_token`]);
      if (name !== undefined) named.set(role, name);
    }
  }
  const wanted = new Set<string>([
    ...named.values(),
    ...SPECIAL_ROLES.flatMap((r) => SPECIAL_CANDIDATES[r]),
  ]);
  const s = new Scanner(bytes, wanted);
  s.topLevel();
  let next = s.maxId + 1;
  const appended: SpecialRole[] = [];
  const inFile = next;
  for (const role of SPECIAL_ROLES) {
    const first = named.get(role);
    const names =
      first !== undefined ? [first, ...SPECIAL_CANDIDATES[role]] : SPECIAL_CANDIDATES[role];
    if (names.some((n) => s.found.has(n))) continue;
    appended.push(role);
    next++;
  }
  return { ids: next, inFile, appended };
}

/** A special token as tokenizer_config.json writes it: a string or `{ "content": ... }`. */
export function tokenName(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && "content" in value) {
    const content = (value as { content: unknown }).content;
    return typeof content === "string" ? content : undefined;
  }
  return undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const decoder = new TextDecoder("utf-8", { fatal: false });

class Scanner {
  pos = 0;
  maxId = -1;
  /** The wanted names that the file has as a token. */
  readonly found = new Set<string>();

  constructor(
    private readonly b: Uint8Array,
    private readonly wanted: ReadonlySet<string>,
  ) {}

  topLevel(): void {
    try {
      this.ws();
      this.object(0, (key, depth) => {
        if (key === "model") this.model(depth);
        else if (key === "added_tokens") this.addedTokens(depth);
        else this.skip(depth);
      });
      this.ws();
      if (this.pos !== this.b.length) this.fail("text after the JSON object");
    } catch (e) {
      if (e instanceof ScanError) throw new Error(`not a tokenizer.json: ${e.message}`);
      throw e;
    }
  }

  private model(depth: number): void {
    if (this.peek() !== 0x7b) return this.skip(depth);
    this.object(depth, (key, d) => {
      if (key !== "vocab") return this.skip(d);
      this.ws();
      if (this.peek() === 0x7b) {
        // BPE, WordPiece, WordLevel: { token: id }.
        this.object(d, (token, dd) => {
          const id = this.integer();
          if (id === undefined) return this.skip(dd);
          this.maxId = Math.max(this.maxId, id);
          if (this.wanted.has(token)) this.found.add(token);
        });
      } else if (this.peek() === 0x5b) {
        // Unigram: [[piece, score], ...], the id is the index.
        let index = 0;
        this.array(d, (dd) => {
          this.ws();
          if (this.peek() === 0x5b) {
            let first = true;
            this.array(dd, (ddd) => {
              this.ws();
              if (first && this.peek() === QUOTE) {
                const piece = this.string();
                if (this.wanted.has(piece)) this.found.add(piece);
              } else this.skip(ddd);
              first = false;
            });
          } else this.skip(dd);
          this.maxId = Math.max(this.maxId, index++);
        });
      } else this.skip(d);
    });
  }

  private addedTokens(depth: number): void {
    this.ws();
    if (this.peek() !== 0x5b) return this.skip(depth);
    this.array(depth, (d) => {
      this.ws();
      if (this.peek() !== 0x7b) return this.skip(d);
      let id: number | undefined;
      let content: string | undefined;
      this.object(d, (key, dd) => {
        this.ws();
        if (key === "id") id = this.integer() ?? (this.skip(dd), undefined);
        else if (key === "content" && this.peek() === QUOTE) content = this.string();
        else this.skip(dd);
      });
      if (id !== undefined) {
        this.maxId = Math.max(this.maxId, id);
        if (content !== undefined && this.wanted.has(content)) this.found.add(content);
      }
    });
  }

  /** `{ "key": value, ... }`, calling `each` with the position at the value. */
  private object(depth: number, each: (key: string, depth: number) => void): void {
    if (depth >= MAX_DEPTH) this.fail(`nested more than ${MAX_DEPTH} deep`);
    this.ws();
    this.expect(0x7b);
    this.ws();
    if (this.peek() === 0x7d) {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.peek() !== QUOTE) this.fail("expected a key");
      const key = this.string();
      this.ws();
      this.expect(0x3a);
      this.ws();
      each(key, depth + 1);
      this.ws();
      const c = this.b[this.pos++];
      if (c === 0x7d) return;
      if (c !== 0x2c) this.fail("expected `,` or `}`");
    }
  }

  private array(depth: number, each: (depth: number) => void): void {
    if (depth >= MAX_DEPTH) this.fail(`nested more than ${MAX_DEPTH} deep`);
    this.expect(0x5b);
    this.ws();
    if (this.peek() === 0x5d) {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      each(depth + 1);
      this.ws();
      const c = this.b[this.pos++];
      if (c === 0x5d) return;
      if (c !== 0x2c) this.fail("expected `,` or `]`");
    }
  }

  /** Skips any value without building it. */
  private skip(depth: number): void {
    this.ws();
    const c = this.peek();
    if (c === 0x7b) this.object(depth, (_k, d) => this.skip(d));
    else if (c === 0x5b) this.array(depth, (d) => this.skip(d));
    else if (c === QUOTE) this.skipString();
    else {
      const start = this.pos;
      while (
        this.pos < this.b.length &&
        /[-+.0-9a-zA-Z]/.test(String.fromCharCode(this.b[this.pos]!))
      )
        this.pos++;
      if (this.pos === start) this.fail("expected a value");
    }
  }

  /** A non-negative whole number below 2^31, or undefined (position unchanged) for anything else. */
  private integer(): number | undefined {
    this.ws();
    let p = this.pos;
    let n = 0;
    while (p < this.b.length && this.b[p]! >= 0x30 && this.b[p]! <= 0x39 && p - this.pos < 10) {
      n = n * 10 + (this.b[p]! - 0x30);
      p++;
    }
    if (p === this.pos || n >= 2 ** 31) return undefined;
    const after = this.b[p];
    if (after !== undefined && /[-+.0-9eE]/.test(String.fromCharCode(after))) return undefined;
    this.pos = p;
    return n;
  }

  private string(): string {
    const start = this.pos;
    const escaped = this.skipString();
    if (!escaped) return decoder.decode(this.b.subarray(start + 1, this.pos - 1));
    try {
      return JSON.parse(decoder.decode(this.b.subarray(start, this.pos))) as string;
    } catch {
      this.fail("a bad escape in a string");
    }
  }

  /** Moves past a string; true when it holds an escape. */
  private skipString(): boolean {
    this.expect(QUOTE);
    let escaped = false;
    for (;;) {
      const c = this.b[this.pos++];
      if (c === undefined) this.fail("a string is not closed");
      if (c === QUOTE) return escaped;
      if (c === BACKSLASH) {
        escaped = true;
        this.pos++;
      }
    }
  }

  private ws(): void {
    for (;;) {
      const c = this.b[this.pos];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.pos++;
    }
  }

  private peek(): number | undefined {
    return this.b[this.pos];
  }

  private expect(c: number): void {
    if (this.b[this.pos] !== c) this.fail(`expected \`${String.fromCharCode(c)}\``);
    this.pos++;
  }

  private fail(what: string): never {
    throw new ScanError(`${what} at byte ${this.pos}`);
  }
}
