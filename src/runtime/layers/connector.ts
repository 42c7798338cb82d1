// The vision-language connectors: AvgPool (pool then a linear), AttnPool (learned queries
// cross-attend to the patch tokens, then a linear), C-Abstractor (c-abstractor.ts) and LLaVA's
// two-layer MLP projector. Each maps patch tokens [n, in_tokens, in] to [n, tokens, out].
import * as tf from "@tensorflow/tfjs-core";
import type { AttnPoolConfig } from "../../components/attn-pool.js";
import type { AvgPoolConfig } from "../../components/avg-pool.js";
import type { MlpProjectorConfig } from "../../components/mlp-projector.js";
import { ATTN_POOL, AVG_POOL, MLP_PROJECTOR, PARAM, dot } from "../../components/weight-names.js";
import { linear } from "../ops/matmul.js";
import type { ParamScope } from "../params.js";
import { attention } from "./attention.js";
import { gelu, geluExact } from "./mlp.js";
import { NORM_EPS } from "./norm.js";
import { adaptiveAvgPool } from "./pooling.js";

export { cAbstractorForward } from "./c-abstractor.js";

/** The linear layer `name` (weight and bias) applied to the last axis of x. */
function project(p: ParamScope, name: string, x: tf.Tensor3D): tf.Tensor3D {
  return linear(x, p.get(dot(name, PARAM.weight)), p.get(dot(name, PARAM.bias))) as tf.Tensor3D;
}

export function avgPoolForward(p: ParamScope, c: AvgPoolConfig, x: tf.Tensor3D): tf.Tensor3D {
  const side = Math.round(Math.sqrt(c.tokens));
  return project(p, AVG_POOL.proj, adaptiveAvgPool(x, c.grid, [side, side]));
}

export function attnPoolForward(p: ParamScope, c: AttnPoolConfig, x: tf.Tensor3D): tf.Tensor3D {
  const [n, , width] = x.shape;
  const k = c.tokens;
  const queries = tf.tile(tf.reshape(p.get(ATTN_POOL.queries), [1, k, width]), [
    n,
    1,
    1,
  ]) as tf.Tensor3D;
  // No query/key norms (`qkNorm: none`), so the eps is never read: AttnPool has no `norm_eps`.
  const opts = { ...c.attention, normEps: NORM_EPS, causal: false };
  return project(p, ATTN_POOL.proj, attention(p.scope(ATTN_POOL.attn), opts, queries, x));
}

/** Its widths are the weights' own shapes; of its config it reads the activation. */
export function mlpProjectorForward(
  p: ParamScope,
  c: Pick<MlpProjectorConfig, "act">,
  x: tf.Tensor3D,
): tf.Tensor3D {
  const h = project(p, MLP_PROJECTOR.fc1, x);
  const a = c.act === "gelu_exact" ? geluExact(h) : gelu(h);
  return project(p, MLP_PROJECTOR.fc2, a as tf.Tensor3D);
}
