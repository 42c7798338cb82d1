// The component kinds by name, which standard-library module provides each, and every enum word a
// field accepts (the name resolver uses the words to tell `rms` or `rope` from an unknown name).
import { attnPool } from "./attn-pool.js";
import { avgPool } from "./avg-pool.js";
import { cAbstractor } from "./c-abstractor.js";
import { decoder } from "./decoder.js";
import { mlpProjector } from "./mlp-projector.js";
import { moe } from "./moe.js";
import type { ComponentKind, FieldType } from "./types.js";
import { vit } from "./vit.js";

const KINDS = {
  ViT: vit,
  AvgPool: avgPool,
  AttnPool: attnPool,
  CAbstractor: cAbstractor,
  MLPProjector: mlpProjector,
  Decoder: decoder,
  MoE: moe,
} satisfies Record<string, ComponentKind>;

/** The name of a component kind (`ViT`, `CAbstractor`, ...): the runtime registry has the same keys. */
export type ComponentKindName = keyof typeof KINDS;

/** Every component kind, by the name a `.mm` file uses (`ViT`, `CAbstractor`, ...). */
export const COMPONENT_KINDS: Readonly<Record<string, ComponentKind>> = KINDS;

export function isComponentKindName(name: string): name is ComponentKindName {
  return Object.prototype.hasOwnProperty.call(KINDS, name);
}

/** Which kinds each standard-library module exports (`import { ViT } from "std/encoders"`). */
export const STD_MODULES: Readonly<Record<string, readonly string[]>> = {
  "std/encoders": ["ViT"],
  "std/connectors": ["AvgPool", "AttnPool", "CAbstractor", "MLPProjector"],
  "std/llm": ["Decoder", "MoE"],
};

/** The kind with this name, or undefined. */
export function componentKind(name: string): ComponentKind | undefined {
  return Object.prototype.hasOwnProperty.call(COMPONENT_KINDS, name)
    ? COMPONENT_KINDS[name]
    : undefined;
}

/** The std module that provides a kind (`"ViT"` -> `"std/encoders"`), or undefined. */
export function stdModuleOf(kindName: string): string | undefined {
  for (const [module, names] of Object.entries(STD_MODULES)) {
    if (names.includes(kindName)) return module;
  }
  return undefined;
}

function wordsOf(type: FieldType): readonly string[] {
  if (type.kind === "enum") return type.words;
  if (type.kind === "int") return type.words ?? [];
  if (type.kind === "mlp") return type.fns;
  return [];
}

/**
 * Every bare word some field accepts: enum words (`rms`, `rope`, `qkv`, ...), words an int field
 * accepts (`all`) and `mlp` function names (`gelu`, `gelu_exact`, `quick_gelu`,
 * `swiglu`, `relu`).
 */
export const ENUM_WORDS: ReadonlySet<string> = new Set(
  Object.values(COMPONENT_KINDS).flatMap((kind) => kind.fields.flatMap((f) => wordsOf(f.type))),
);
