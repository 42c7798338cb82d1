// The vision-language connectors: AvgPool (pool then a linear), AttnPool (learned queries
// cross-attend to the patch tokens, then a linear), C-Abstractor (c-abstractor.ts) and LLaVA's
// two-layer MLP projector. Each maps patch tokens [n, in_tokens, in] to [n, tokens, out].
import * as tf from "@tensorflow/tfjs-core";
import { getInt } from "../../components/fields.js";
import type { Config } from "../../components/types.js";
import { linear } from "../ops/matmul.js";
import type { ParamScope } from "../params.js";
import { attention } from "./attention.js";
import { cAbstractorForward, cAbstractorOptions } from "./c-abstractor.js";
import { gelu } from "./mlp.js";
import { adaptiveAvgPool } from "./pooling.js";

export type ConnectorKind = "AvgPool" | "AttnPool" | "CAbstractor" | "MLPProjector";

function grid(c: Config): [number, number] {
  return [getInt(c, "grid_h"), getInt(c, "grid_w")];
}

function project(p: ParamScope, name: string, x: tf.Tensor3D): tf.Tensor3D {
  return linear(x, p.get(`${name}.weight`), p.get(`${name}.bias`)) as tf.Tensor3D;
}

export function avgPoolForward(p: ParamScope, c: Config, x: tf.Tensor3D): tf.Tensor3D {
  const side = Math.round(Math.sqrt(getInt(c, "tokens")));
  return project(p, "proj", adaptiveAvgPool(x, grid(c), [side, side]));
}

export function attnPoolForward(p: ParamScope, c: Config, x: tf.Tensor3D): tf.Tensor3D {
  const [n, , width] = x.shape;
  const heads = getInt(c, "heads");
  const k = getInt(c, "tokens");
  const queries = tf.tile(tf.reshape(p.get("queries"), [1, k, width]), [n, 1, 1]) as tf.Tensor3D;
  const opts = {
    heads,
    kvHeads: heads,
    headDim: width / heads,
    causal: false,
    qkNorm: "none" as const,
  };
  return project(p, "proj", attention(p.scope("attn"), opts, queries, x));
}

export function mlpProjectorForward(p: ParamScope, x: tf.Tensor3D): tf.Tensor3D {
  return project(p, "fc2", gelu(project(p, "fc1", x)) as tf.Tensor3D);
}

/** Patch tokens [n, in_tokens, in] -> image tokens [n, tokens, out] through connector `kind`. */
export function connectorForward(
  kind: ConnectorKind,
  p: ParamScope,
  c: Config,
  x: tf.Tensor3D,
): tf.Tensor3D {
  switch (kind) {
    case "AvgPool":
      return avgPoolForward(p, c, x);
    case "AttnPool":
      return attnPoolForward(p, c, x);
    case "CAbstractor":
      return cAbstractorForward(p, cAbstractorOptions(c), x);
    case "MLPProjector":
      return mlpProjectorForward(p, x);
  }
}
