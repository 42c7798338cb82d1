// Field tables for hovers and completion. Component fields come from the kinds' own schemas
// (src/components/*.ts); the settings of `train`, `data`, `optimizer`, `schedule`, `checkpoint`
// and `eval` from src/spec/settings.ts, the tables the checker reads them with. Only `model`,
// `sweep` and the budget quantities are described here.
import { QUANTITIES } from "../check/budget.js";
import { describeDefault, describeSetting, type SettingField } from "../spec/fields.js";
import { SCHEDULE_KINDS, SETTINGS_TABLES } from "../spec/settings.js";
import { describeType } from "../components/fields.js";
import type { ComponentKind, ConfigValue, FieldSpec, FieldType } from "../components/types.js";

export interface FieldInfo {
  readonly name: string;
  readonly doc: string;
  /** In words: "an integer", "one of `rms`, `layer`". */
  readonly type: string;
  /** In words: "`16`", "inferred from `vision.width`", "none". */
  readonly default: string;
  readonly range?: string;
  /** Bare words the field accepts (for completion). */
  readonly words?: readonly string[];
  /** A nested component's kind (`moe: MoE { ... }`). */
  readonly component?: string;
}

export type Block =
  | "model"
  | "train"
  | "data"
  | "optimizer"
  | "schedule"
  | "checkpoint"
  | "eval"
  | "sweep"
  | "budget";

const MISSING_DOC = "(no documentation yet)";

type Doc = readonly [doc: string, type: string, dflt: string, words?: readonly string[]];

const MODEL_DOCS: Readonly<Record<string, Doc>> = {
  image: [
    "the input image: channels, height, width",
    "`Image[C, H, W]`",
    "none (a text-only model)",
  ],
  tiles: [
    "high-resolution sub-images: each image becomes an overview and a grid of `image`-sized crops",
    '`{ grids: ["1x1", "2x2", "1x2", "2x1"], overview: true }`',
    "none (one centred square crop per image)",
  ],
  vision: ["the image encoder", "an `encoder`: `ViT { ... }` or a preset", "none"],
  connector: [
    "turns the encoder's patch tokens into image tokens of the language model's width",
    "a `connector`: `CAbstractor`, `AvgPool`, `AttnPool`, `MLPProjector` or a preset",
    "none",
  ],
  llm: ["the language model", "an `llm`: `Decoder { ... }` or a preset", "required"],
};

const SWEEP_DOCS: Readonly<Record<string, Doc>> = {
  base: [
    "the `train` every grid point starts from, optionally with overrides",
    "a train name",
    "required",
  ],
  report: ["metrics the sweep's report shows", "a list of metric words", "`[loss]`"],
};

const QUANTITY_DOCS: Readonly<Record<string, string>> = {
  params: "unique trainable parameters (tied tensors once), whole model",
  active_params:
    "parameters one token uses: everything except the routed experts it was not sent to",
  "params.vision": "parameters of the vision encoder",
  "params.connector": "parameters of the connector",
  "params.llm": "parameters of the language model",
  image_tokens: "tokens one image becomes after the connector",
  flops_per_token:
    "forward FLOPs for one text token at full context (a multiply-add is 2 FLOPs; training is about 3x)",
  train_memory:
    "bytes for weights, gradients, AdamW state and activations of one step, for every `train` that uses the model",
  train_memory_per_device:
    "`train_memory` on each of the train's `devices`: weights, gradients and AdamW state sharded, activations of `batch / devices` sequences",
};

function table(names: readonly string[], docs: Readonly<Record<string, Doc>>): FieldInfo[] {
  return names.map((name) => {
    const d = docs[name];
    return {
      name,
      doc: d?.[0] ?? MISSING_DOC,
      type: d?.[1] ?? "",
      default: d?.[2] ?? "",
      ...(d?.[3] ? { words: d[3] } : {}),
    };
  });
}

/** A settings field as hovers and completion show it, from its table in src/spec/. */
export function settingInfo(f: SettingField): FieldInfo {
  const words = f.type.kind === "word" ? f.type.words : undefined;
  return {
    name: f.name,
    doc: f.doc,
    type: describeSetting(f.type),
    default: describeDefault(f.default),
    ...(words ? { words } : f.name === "tokenizer" ? { words: ["bytes"] } : {}),
  };
}

/** The fields of a block that is not a component. */
export function blockFields(block: Block, variant?: string): readonly FieldInfo[] {
  switch (block) {
    case "train":
    case "data":
    case "optimizer":
    case "checkpoint":
    case "eval":
      return SETTINGS_TABLES[block].map(settingInfo);
    case "schedule": {
      const kind = SCHEDULE_KINDS[variant as keyof typeof SCHEDULE_KINDS] ?? SCHEDULE_KINDS.Cosine;
      return SETTINGS_TABLES.schedule
        .filter((f) => (kind.fields as readonly string[]).includes(f.name))
        .map(settingInfo);
    }
    case "model":
      return table(Object.keys(MODEL_DOCS), MODEL_DOCS);
    case "sweep":
      return table(Object.keys(SWEEP_DOCS), SWEEP_DOCS);
    case "budget":
      return QUANTITIES.map((q) => ({
        name: q,
        doc: QUANTITY_DOCS[q] ?? MISSING_DOC,
        type: q.startsWith("train_memory") ? "a byte size such as `80GiB`" : "a count such as `7B`",
        default: "",
      }));
  }
}

/** A component kind's fields as the kind's schema gives them. */
export function componentFields(kind: ComponentKind): readonly FieldInfo[] {
  return kind.fields.map(componentField);
}

export function componentField(spec: FieldSpec): FieldInfo {
  const range = rangeOf(spec.type);
  const words = wordsOf(spec.type);
  return {
    name: spec.name,
    doc: spec.doc,
    type: describeType(spec.type),
    default:
      spec.default.kind === "value"
        ? `\`${showValue(spec.default.value)}\``
        : spec.default.kind === "inferred"
          ? `inferred from ${spec.default.from}`
          : "none (leaving it out turns it off)",
    ...(range ? { range } : {}),
    ...(words.length ? { words } : {}),
    ...(spec.type.kind === "component" ? { component: spec.type.component } : {}),
  };
}

function wordsOf(t: FieldType): readonly string[] {
  if (t.kind === "enum") return t.words;
  if (t.kind === "int") return t.words ?? [];
  if (t.kind === "mlp") return t.fns;
  if (t.kind === "bool") return ["true", "false"];
  return [];
}

function rangeOf(t: FieldType): string | undefined {
  if (t.kind !== "int" && t.kind !== "number") return undefined;
  const lo =
    t.kind === "number" && t.exclusiveMin !== undefined
      ? `> ${t.exclusiveMin}`
      : t.min !== undefined
        ? `≥ ${t.min}`
        : undefined;
  const hi = t.max !== undefined ? `≤ ${t.max}` : undefined;
  return [lo, hi].filter(Boolean).join(", ") || undefined;
}

/** A config value written the way a `.mm` file writes it: `swiglu(344)`, `[0.9, 0.95]`, `rms`. */
export function showValue(v: ConfigValue): string {
  if (typeof v === "number")
    return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === "boolean" || typeof v === "string") return String(v);
  if (Array.isArray(v)) return `[${(v as readonly ConfigValue[]).map(showValue).join(", ")}]`;
  const o = v as Readonly<Record<string, ConfigValue>>;
  if (typeof o["fn"] === "string" && typeof o["hidden"] === "number" && Object.keys(o).length === 2)
    return `${o["fn"]}(${o["hidden"]})`;
  return `{ ${Object.entries(o)
    .map(([k, x]) => `${k}: ${showValue(x)}`)
    .join(", ")} }`;
}
