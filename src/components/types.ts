// The shared vocabulary of component kinds: field schemas, config values, problems, weight
// manifests and the `ComponentKind` interface that every kind file (vit.ts, decoder.ts, ...) fills in.
// Pure data: the checker, `mmc info` and the runtime all read the same definitions.

/**
 * Activation functions an `mlp` value may name: `gelu(3072)`, `swiglu(11008)`, `relu(2048)`, and
 * for a ViT `quick_gelu(4096)` (OpenAI CLIP's x * sigmoid(1.702 x)) and `gelu_exact(5120)` (the
 * exact, erf GELU of OpenCLIP and timm; `gelu` is the tanh approximation).
 */
export type MlpFn = "gelu" | "gelu_exact" | "quick_gelu" | "swiglu" | "relu";

/** An `mlp` call value: `gelu(3072)` is `{ fn: "gelu", hidden: 3072 }`. */
export interface MlpValue {
  readonly fn: MlpFn;
  readonly hidden: number;
}

/**
 * A field value after the checker has evaluated the syntax: numbers (scale suffixes already
 * applied), booleans, enum words and strings (both plain `string`; the field type tells which),
 * `mlp` calls, nested component configs (e.g. a Decoder's `moe: MoE {...}` becomes the MoE's own
 * field record) and lists.
 */
export type ConfigValue = number | boolean | string | MlpValue | Config | readonly ConfigValue[];

/** The fields of one component, by field name. Absent fields take their defaults in `resolve`. */
export interface Config {
  readonly [field: string]: ConfigValue;
}

/** What a field holds. The checker uses this to type-check and range-check written values. */
export type FieldType =
  /** An integer. `words` lists words accepted in place of a number (MoE `every: all`). */
  | {
      readonly kind: "int";
      readonly min?: number;
      /** At most 2^53 - 1 when absent; `why` says why a real run never needs more. */
      readonly max?: number;
      readonly why?: string;
      readonly words?: readonly string[];
    }
  /** A real number, always finite; `exclusiveMin` means strictly greater than (capacity > 0). */
  | {
      readonly kind: "number";
      readonly min?: number;
      readonly exclusiveMin?: number;
      readonly max?: number;
      readonly why?: string;
    }
  | { readonly kind: "bool" }
  /** One of a fixed list of bare words (`norm: rms`). */
  | { readonly kind: "enum"; readonly words: readonly string[] }
  | { readonly kind: "string" }
  /**
   * An `mlp` call value. `plain`, when set, means a bare integer is also accepted and read as
   * `{ fn: plain, hidden: n }` (ViT's `mlp: 4096` is `gelu(4096)`).
   */
  | {
      readonly kind: "mlp";
      readonly fns: readonly MlpFn[];
      readonly plain?: MlpFn;
      /** The largest hidden width, with the reason. */
      readonly max?: number;
      readonly why?: string;
    }
  /** A nested component of the named kind (Decoder's `moe: MoE {...}`). */
  | { readonly kind: "component"; readonly component: string }
  | { readonly kind: "list"; readonly of: "number" | "int"; readonly length?: number }
  /** An image size, written `Image[channels, height, width]`; held as `[C, H, W]`. */
  | { readonly kind: "image" };

/**
 * Where an absent field's value comes from:
 * - `value`: a fixed default;
 * - `inferred`: computed in `resolve` from neighbours or other fields; `from` says where, in the
 *   words a message would use (e.g. "`llm.width`", "`width / heads`");
 * - `absent`: the field is optional and leaving it out turns the feature off (ViT `classes`,
 *   Decoder `moe`, `head_dim` falls back to `width / heads`).
 */
export type FieldDefault =
  | { readonly kind: "value"; readonly value: ConfigValue }
  | { readonly kind: "inferred"; readonly from: string }
  | { readonly kind: "absent" };

/** One field of a component kind: its name, type, default and a one-line doc for hovers and docs. */
export interface FieldSpec {
  readonly name: string;
  readonly doc: string;
  readonly type: FieldType;
  readonly default: FieldDefault;
}

/**
 * A user mistake found by a component (the checker turns it into a diagnostic).
 * - `fields`: where the cause is written. In a kind's own `resolve` these are its field names,
 *   dotted for nested components (`moe.top_k`). In `model.ts` they are model paths: `image`,
 *   `vision.patch`, `connector.out`, `llm.moe.top_k`, `images_per_sequence`. An empty list means
 *   "the component as a whole" (put it on the component's value).
 * - `related`: model paths that give the reason (secondary labels), e.g. `llm.width` for a
 *   connector width mismatch; in a kind's own `resolve` these refer to the neighbours the context
 *   came from (`image`, `vision.width`, `llm.width`, `llm.depth`).
 * - `labels`: text for the label under each path. `help`: a concrete edit. `notes`: extra facts
 *   (where inferred numbers came from).
 */
export interface Problem {
  readonly code: string;
  readonly severity: "error" | "warning";
  readonly message: string;
  readonly fields: readonly string[];
  readonly related?: readonly string[];
  /**
   * Label text per path of `fields` or `related` (e.g. `out` -> "the connector produces width
   * 2048", `llm.width` -> "the language model reads width 4096"); paths without one get none.
   */
  readonly labels?: Readonly<Record<string, string>>;
  readonly help?: string;
  readonly notes?: readonly string[];
}

/** A sequence of vectors: `tokens` x `width`, with the square-ish patch grid it came from if any. */
export interface TokenShape {
  readonly tokens: number;
  readonly width: number;
  /** Rows x columns of the patch grid the tokens are laid out on (encoder outputs, pooled grids). */
  readonly grid?: readonly [number, number];
}

/**
 * What a kind needs to know about its neighbours. Each kind reads only its part:
 * - encoders: `image` ([channels, height, width] of the model's `image`);
 * - connectors: `input` (what the encoder produces, class token already dropped) and `llmWidth`;
 * - MoE: `decoder` (the width, depth, MLP and biases of the Decoder it sits in);
 * - Decoder: nothing.
 * Where a needed piece is missing, `resolve` uses the kind's documented stand-in (so a preset can
 * be inspected alone) and says so in `ResolveOk.assumed`.
 */
export interface ResolveContext {
  readonly image?: readonly [number, number, number];
  readonly input?: TokenShape;
  readonly llmWidth?: number;
  readonly decoder?: DecoderContext;
}

export interface DecoderContext {
  readonly width: number;
  readonly depth: number;
  readonly mlp: MlpValue;
  /** Whether the Decoder's MLP linears have biases (`biases: all`); experts follow it. */
  readonly mlpBias: boolean;
}

export interface ResolveOk {
  readonly ok: true;
  /**
   * Every field filled in: defaults applied, inferred fields computed, `mlp` ints normalised,
   * `every: all` made 1. It also carries the context numbers the arithmetic needs, under names
   * the schema does not list: ViT `channels`, `image_height`, `image_width`; connectors
   * `in_tokens`, `grid_h`, `grid_w`; MoE `width`, `depth`, `expert_fn`, `bias`. Pass it as is to
   * `manifest`, `flops` and `activations` (and to the runtime).
   */
  readonly config: Config;
  /** What the component produces (encoder/connector: image tokens; Decoder: logits `[1, vocab]`). */
  readonly output: TokenShape;
  /** Field name -> where its value came from, for fields that were inferred (not written). */
  readonly inferred: Readonly<Record<string, string>>;
  /** Context pieces that were missing and replaced by stand-ins (e.g. "image 3x224x224"). */
  readonly assumed: readonly string[];
  /** Warnings found while resolving (errors make the result `ResolveFail`). */
  readonly warnings: readonly Problem[];
}

export interface ResolveFail {
  readonly ok: false;
  readonly problems: readonly Problem[];
}

export type ResolveResult = ResolveOk | ResolveFail;

/** How the runtime should initialise a tensor (the std of `normal` is the runtime's choice). */
export type TensorInit = "normal" | "zeros" | "ones";

/**
 * One weight tensor a component owns. Names are relative to the component
 * (`layers.3.attn.q.weight`); `model.ts` prefixes the part (`llm.layers.3.attn.q.weight`).
 */
export interface WeightTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: TensorInit;
  /** Whether AdamW weight decay applies (matrices and embeddings yes; biases and norms no). */
  readonly decay: boolean;
  /** Index of the routed expert this tensor belongs to; absent for everything else. */
  readonly expert?: number;
  /** Set when this tensor is the same storage as another (tied head): counted once, under `tiedTo`. */
  readonly tiedTo?: string;
}

/** Parameters counted from a resolved config, without building its tensors. */
export interface ParamCount {
  /** Unique trainable parameters (tied tensors once): the manifest's `countParams`. */
  readonly total: number;
  /** Parameters one token uses: all but the routed experts it is not sent to. */
  readonly active: number;
}

/** Which unit a kind's FLOPs and activation counts are per. */
export type CostUnit = "image" | "token";

export interface CostOptions {
  /** Training sequence length (attention activations grow with it). Decoder default: `context`. */
  readonly sequence?: number;
}

/** A component kind: schema plus the arithmetic. All functions are pure and never throw on user input. */
export interface ComponentKind {
  readonly name: string;
  readonly role: "encoder" | "connector" | "llm" | "moe";
  readonly doc: string;
  readonly fields: readonly FieldSpec[];
  /** Fill defaults and inferred fields and apply every shape rule of the kind. */
  resolve(config: Config, context: ResolveContext): ResolveResult;
  /**
   * Every weight tensor, in a stable order. Takes a config returned by `resolve` (`ok: true`).
   * Built only where tensors are needed (the runtime, `mmc info --tensors`-like views); counting
   * uses `params`, which must equal the sums over this list exactly (a property test checks it).
   */
  manifest(config: Config): WeightTensor[];
  /** The parameter counts of `manifest(config)`, computed per layer pattern, in constant time. */
  params(config: Config): ParamCount;
  /** `image` for encoders and connectors, `token` for the Decoder (and MoE inside it). */
  readonly costUnit: CostUnit;
  /**
   * Forward FLOPs per unit (multiply-add = 2 FLOPs; matmuls and attention only, norms and
   * activations ignored). Decoder: one token attending over `sequence` (default: full context).
   */
  flops(config: Config, options?: CostOptions): number;
  /**
   * Activation elements kept for the backward pass, per unit, in training (no recomputation, no
   * flash attention: attention probabilities are stored). Multiply by bytes per element.
   */
  activations(config: Config, options?: CostOptions): number;
}
