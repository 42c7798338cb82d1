// The runtime half of each component kind, keyed by the same names as components/registry.ts: how
// a part's resolved config becomes its typed config and forward function. The compiler checks
// that both registries have the same keys; test/runtime/kinds.test.ts that the roles agree.
import type * as tf from "@tensorflow/tfjs-core";
import { attnPoolConfig } from "../components/attn-pool.js";
import { avgPoolConfig } from "../components/avg-pool.js";
import { cAbstractorConfig } from "../components/c-abstractor.js";
import { decoderConfig, type DecoderConfig } from "../components/decoder.js";
import { mlpProjectorConfig } from "../components/mlp-projector.js";
import { moeConfig, type MoeConfig } from "../components/moe.js";
import { isComponentKindName, type ComponentKindName } from "../components/registry.js";
import type { Config } from "../components/types.js";
import { vitConfig } from "../components/vit.js";
import { cAbstractorForward } from "./layers/c-abstractor.js";
import { attnPoolForward, avgPoolForward, mlpProjectorForward } from "./layers/connector.js";
import { vitForward } from "./layers/vit.js";
import type { ParamScope } from "./params.js";

/** An encoder bound to its config: images [n, channels, h, w] -> patch tokens [n, tokens, width]. */
export interface BoundEncoder {
  readonly channels: number;
  forward(p: ParamScope, images: tf.Tensor4D): tf.Tensor3D;
}

/** A connector bound to its config: patch tokens [n, in_tokens, in] -> [n, tokens, out]. */
export type BoundConnector = (p: ParamScope, x: tf.Tensor3D) => tf.Tensor3D;

export type RuntimeKind =
  | { readonly role: "encoder"; bind(c: Config): BoundEncoder }
  | { readonly role: "connector"; bind(c: Config): BoundConnector }
  /** The Decoder's forward pass is `decoderForward` (generated code calls it with this config). */
  | { readonly role: "llm"; bind(c: Config): DecoderConfig }
  /** MoE runs inside the Decoder: its typed config is the Decoder config's `moe`. */
  | { readonly role: "moe"; bind(c: Config): MoeConfig };

const KINDS = {
  ViT: {
    role: "encoder",
    bind: (c) => {
      const v = vitConfig(c);
      return { channels: v.channels, forward: (p, images) => vitForward(p, v, images) };
    },
  },
  AvgPool: {
    role: "connector",
    bind: (c) => {
      const a = avgPoolConfig(c);
      return (p, x) => avgPoolForward(p, a, x);
    },
  },
  AttnPool: {
    role: "connector",
    bind: (c) => {
      const a = attnPoolConfig(c);
      return (p, x) => attnPoolForward(p, a, x);
    },
  },
  CAbstractor: {
    role: "connector",
    bind: (c) => {
      const a = cAbstractorConfig(c);
      return (p, x) => cAbstractorForward(p, a, x);
    },
  },
  MLPProjector: {
    role: "connector",
    bind: (c) => {
      const m = mlpProjectorConfig(c);
      return (p, x) => mlpProjectorForward(p, m, x);
    },
  },
  Decoder: { role: "llm", bind: decoderConfig },
  MoE: { role: "moe", bind: moeConfig },
} as const satisfies Record<ComponentKindName, RuntimeKind>;

/** True only when A and B are the same set of names. */
type SameKeys<A, B> = [Exclude<A, B>, Exclude<B, A>] extends [never, never] ? true : false;
// Fails to compile when a kind is added to one registry and not the other.
const KEYS_MATCH: SameKeys<keyof typeof KINDS, ComponentKindName> = true;
void KEYS_MATCH;

/** The runtime registry, by component kind name. */
export const RUNTIME_KINDS: Readonly<Record<ComponentKindName, RuntimeKind>> = KINDS;

/** The runtime half of the kind named `name`, or undefined for a name no registry holds. */
export function runtimeKind(name: string): RuntimeKind | undefined {
  return isComponentKindName(name) ? RUNTIME_KINDS[name] : undefined;
}
