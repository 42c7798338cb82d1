// Pretrained weights in Hugging Face's layout run as the real models do: tiny CLIP-layout and
// Llama-layout checkpoints (hf-fixtures.ts) load into mmc through `init: safetensors(...,
// layout: hf)` and its name table, and mmc's vision features and logits are compared with
// hf_reference.py, an independent torch forward of CLIPVisionModel and LlamaForCausalLM that
// reads the same files by Hugging Face's own names and takes Hugging Face's config keys
// (`layer_norm_eps` and `rms_norm_eps` too: mmc's `norm_eps` must match them). Skipped with a
// notice where no Python has torch.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, test } from "vitest";
import type { CheckedModel } from "../../src/check/ir.js";
import { checkSpec } from "../../src/cli/load.js";
import { loadInitWeights } from "../../src/runtime/checkpoint/load-init.js";
import { uniformStream } from "../../src/runtime/init.js";
import { MultimodalModel } from "../../src/runtime/model.js";
import { runPython, torchPython } from "../pytorch/python.js";
import { checkedModelCode } from "../runtime/generated-code.js";
import { useBackend } from "../runtime/helpers.js";
import { clipVisionTensors, llamaTensors, safetensorsBytes, writeFixture } from "./hf-fixtures.js";

const python = torchPython("the Hugging Face reference test (hf_reference.py)");
const dir = mkdtempSync(join(tmpdir(), "mmc-hf-reference-"));

interface Flat {
  shape: number[];
  data: number[];
}
interface Reference {
  vision?: {
    hidden_states: Flat[];
    last_hidden_state: Flat;
    pooler_output: Flat;
    post_layernorm_tokens: Flat;
  };
  logits?: Flat;
}

// The tiny towers: 16 px images in 8 px patches (4 patch tokens and a class token).
const CLIP = { image: 16, patch: 8, width: 16, depth: 3, heads: 2, hidden: 32 };
/** CLIPVisionConfig's keys, as OpenAI's clip-vit-large-patch14 writes them (sizes shrunk). */
const CLIP_CONFIG = {
  hidden_size: CLIP.width,
  intermediate_size: CLIP.hidden,
  num_hidden_layers: CLIP.depth,
  num_attention_heads: CLIP.heads,
  patch_size: CLIP.patch,
  image_size: CLIP.image,
  hidden_act: "quick_gelu",
  layer_norm_eps: 1e-5,
};
const LLAMA = { vocab: 40, width: 32, depth: 2, heads: 4, kvHeads: 2, hidden: 48 };
/** LlamaConfig's keys, as Llama-2's config.json writes them (sizes shrunk, rope_theta not 1e4). */
const llamaConfig = (tied: boolean, ropeTheta: number, rmsNormEps = 1e-5) => ({
  vocab_size: LLAMA.vocab,
  hidden_size: LLAMA.width,
  intermediate_size: LLAMA.hidden,
  num_hidden_layers: LLAMA.depth,
  num_attention_heads: LLAMA.heads,
  num_key_value_heads: tied ? LLAMA.heads : LLAMA.kvHeads,
  hidden_act: "silu",
  rms_norm_eps: rmsNormEps,
  rope_theta: ropeTheta,
  tie_word_embeddings: tied,
});

/** The tower as mmc writes it, with its MLP's function: `quick_gelu` (OpenAI) or `gelu_exact`. */
const vitOf = (fn: string) =>
  `ViT { patch: ${CLIP.patch}, width: ${CLIP.width}, heads: ${CLIP.heads}, mlp: ${fn}(${CLIP.hidden}), patch_bias: false, pre_norm: true`;
const VIT = vitOf("quick_gelu");
/** The function of the exact-GELU tower (OpenCLIP's and timm's `hidden_act: gelu`). */
const EXACT_FN = "gelu_exact";
const DEC = `vocab: ${LLAMA.vocab}, width: ${LLAMA.width}, depth: ${LLAMA.depth}, heads: ${LLAMA.heads}, mlp: swiglu(${LLAMA.hidden}), norm: rms, position: rope, context: 64`;
const SPEC = `import { ViT } from "std/encoders"
import { MLPProjector } from "std/connectors"
import { Decoder } from "std/llm"
model Untied {
  image: Image[3, ${CLIP.image}, ${CLIP.image}]
  vision: ${VIT}, depth: ${CLIP.depth}, init: safetensors("clip.safetensors", layout: hf) }
  connector: MLPProjector {}
  llm: Decoder { ${DEC}, kv_heads: ${LLAMA.kvHeads}, rope_base: 500000, init: safetensors("llama.safetensors", layout: hf) }
}
model Tied {
  image: Image[3, ${CLIP.image}, ${CLIP.image}]
  vision: ${VIT}, depth: ${CLIP.depth - 1}, final_norm: false, init: safetensors("clip.safetensors", layout: hf) }
  connector: MLPProjector {}
  llm: Decoder { ${DEC}, tied: true, init: safetensors("llama-tied.safetensors", layout: hf) }
}
model SmallEps {
  image: Image[3, ${CLIP.image}, ${CLIP.image}]
  vision: ${VIT}, depth: ${CLIP.depth}, norm_eps: 1e-6, init: safetensors("clip.safetensors", layout: hf) }
  connector: MLPProjector {}
  llm: Decoder { ${DEC}, kv_heads: ${LLAMA.kvHeads}, rope_base: 500000, norm_eps: 1e-6, init: safetensors("llama.safetensors", layout: hf) }
}
model LargeEps {
  image: Image[3, ${CLIP.image}, ${CLIP.image}]
  vision: ${VIT}, depth: ${CLIP.depth}, norm_eps: 1e-2, init: safetensors("clip.safetensors", layout: hf) }
  connector: MLPProjector {}
  llm: Decoder { ${DEC}, kv_heads: ${LLAMA.kvHeads}, rope_base: 500000, norm_eps: 1e-2, init: safetensors("llama.safetensors", layout: hf) }
}
model Exact {
  image: Image[3, ${CLIP.image}, ${CLIP.image}]
  vision: ${vitOf(EXACT_FN)}, depth: ${CLIP.depth}, init: safetensors("clip.safetensors", layout: hf) }
  connector: MLPProjector {}
  llm: Decoder { ${DEC}, kv_heads: ${LLAMA.kvHeads}, rope_base: 500000, init: safetensors("llama.safetensors", layout: hf) }
}
`;

/** The largest |a - b| over two flat arrays of one length, and the largest |b|. */
function compare(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; max: number } {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    max = Math.max(max, Math.abs(b[i] as number));
  }
  return { diff, max };
}

/** Rows 1.. of each image's tokens [n, s, w]: the class token dropped. */
function dropClass(t: Flat): number[] {
  const [n, s, w] = t.shape as [number, number, number];
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(...t.data.slice((i * s + 1) * w, (i + 1) * s * w));
  return out;
}

interface Measured {
  features: Float32Array;
  logits: Float32Array;
}

async function runMmc(m: CheckedModel, images: Float32Array, tokens: Int32Array, b: number) {
  const model = new MultimodalModel(m.summary, 7);
  loadInitWeights(
    model.params,
    { image: m.image!, vision: m.parts.vision!, connector: m.parts.connector!, llm: m.parts.llm },
    (m.init ?? []).map(({ scope, source: s }) => ({
      scope,
      path: s.path,
      root: s.root,
      layout: s.layout,
    })),
  );
  const t = tokens.length / b;
  const code = await checkedModelCode(m);
  const out = tf.tidy(() => {
    const features = model.encode(tf.tensor4d(images, [2, 3, CLIP.image, CLIP.image]));
    const logits = code.forward(model, {
      batchSize: b,
      sequence: t,
      tokens,
      lossMask: new Float32Array(b * t).fill(1),
      imageSlots: [],
    }).logits;
    return [features.dataSync() as Float32Array, logits.dataSync() as Float32Array];
  });
  model.dispose();
  return { features: out[0]!, logits: out[1]! };
}

describe.skipIf(python === undefined)("init: Hugging Face weights run as the real models", () => {
  type Cases<T> = Record<"untied" | "tied" | "exact" | "smallEps" | "largeEps", T>;
  let ref: Cases<Reference> | undefined;
  let mmc: Cases<Measured> | undefined;

  beforeAll(async () => {
    await useBackend("cpu");
    writeFixture(join(dir, "clip.safetensors"), safetensorsBytes(clipVisionTensors(CLIP), 41));
    writeFixture(join(dir, "llama.safetensors"), safetensorsBytes(llamaTensors(LLAMA), 42, "BF16"));
    writeFixture(
      join(dir, "llama-tied.safetensors"),
      safetensorsBytes(llamaTensors({ ...LLAMA, kvHeads: LLAMA.heads, tied: true }), 43),
    );
    writeFileSync(join(dir, "spec.mm"), SPEC);
    const checked = checkSpec(join(dir, "spec.mm"));
    expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const [untied, tied, smallEps, largeEps, exact] = checked.checked!.models as [
      CheckedModel,
      CheckedModel,
      CheckedModel,
      CheckedModel,
      CheckedModel,
    ];

    const next = uniformStream(44);
    const images = new Float32Array(2 * 3 * CLIP.image * CLIP.image).map(() => next() * 2 - 1);
    const b = 2;
    const t = 12;
    const tokens = new Int32Array(b * t).map(() => Math.floor(next() * LLAMA.vocab));
    mmc = {
      untied: await runMmc(untied, images, tokens, b),
      tied: await runMmc(tied, images, tokens, b),
      exact: await runMmc(exact, images, tokens, b),
      smallEps: await runMmc(smallEps, images, tokens, b),
      largeEps: await runMmc(largeEps, images, tokens, b),
    };

    const run = (name: string, llama: string, config: object, clip = CLIP_CONFIG): Reference => {
      writeFileSync(
        join(dir, `${name}.json`),
        JSON.stringify({
          clip: { path: join(dir, "clip.safetensors"), config: clip },
          llama: { path: join(dir, llama), config },
          images: { shape: [2, 3, CLIP.image, CLIP.image], data: Array.from(images) },
          tokens: { shape: [b, t], data: Array.from(tokens) },
        }),
      );
      runPython(python!, [
        join(import.meta.dirname, "hf_reference.py"),
        join(dir, `${name}.json`),
        join(dir, `${name}-out.json`),
      ]);
      return JSON.parse(readFileSync(join(dir, `${name}-out.json`), "utf8")) as Reference;
    };
    ref = {
      untied: run("untied", "llama.safetensors", llamaConfig(false, 500000)),
      tied: run("tied", "llama-tied.safetensors", llamaConfig(true, 10000)),
      // OpenCLIP's and timm's towers: `hidden_act: gelu` is the exact, erf GELU
      exact: run("exact", "llama.safetensors", llamaConfig(false, 500000), {
        ...CLIP_CONFIG,
        hidden_act: "gelu",
      }),
      // Llama-1's and Qwen2's rms_norm_eps, SigLIP's layer_norm_eps; and one far from 1e-5
      smallEps: run("small-eps", "llama.safetensors", llamaConfig(false, 500000, 1e-6), {
        ...CLIP_CONFIG,
        layer_norm_eps: 1e-6,
      }),
      largeEps: run("large-eps", "llama.safetensors", llamaConfig(false, 500000, 1e-2), {
        ...CLIP_CONFIG,
        layer_norm_eps: 1e-2,
      }),
    };
  }, 600_000);

  test("ViT: mmc's patch tokens are CLIP's post_layernorm over the last layer, class token dropped", () => {
    const { diff, max } = compare(
      mmc!.untied.features,
      dropClass(ref!.untied.vision!.post_layernorm_tokens),
    );
    expect(max).toBeGreaterThan(0.1);
    expect(diff).toBeLessThan(1e-5 * Math.max(1, max));
  });

  test("ViT: `final_norm: false` one block short gives LLaVA's features (penultimate layer, no class token)", () => {
    // the Tied model's tower has depth 2 of the file's 3 blocks and no final norm: its tokens are
    // hidden_states[-2][:, 1:] of the whole 3-block tower, what LLaVA feeds its projector
    const full = ref!.untied.vision!.hidden_states;
    const { diff, max } = compare(mmc!.tied.features, dropClass(full[full.length - 2]!));
    expect(max).toBeGreaterThan(0.1);
    expect(diff).toBeLessThan(1e-5 * Math.max(1, max));
  });

  test("ViT: `gelu_exact` is Hugging Face's `hidden_act: gelu` (exact erf GELU, OpenCLIP's towers)", () => {
    // mmc's `gelu` (tanh) in its place is 1.8e-4 off here, above this bound
    const { diff, max } = compare(
      mmc!.exact.features,
      dropClass(ref!.exact.vision!.post_layernorm_tokens),
    );
    expect(max).toBeGreaterThan(0.1);
    expect(diff).toBeLessThan(1e-5 * Math.max(1, max));
  });

  test("Decoder: logits equal LlamaForCausalLM's (GQA, BF16, rope_theta 500000, untied head)", () => {
    const { diff, max } = compare(mmc!.untied.logits, ref!.untied.logits!.data);
    expect(max).toBeGreaterThan(0.1);
    expect(diff).toBeLessThan(1e-5 * Math.max(1, max));
  });

  test("Decoder: logits equal LlamaForCausalLM's (tied head, no lm_head in the file)", () => {
    const { diff, max } = compare(mmc!.tied.logits, ref!.tied.logits!.data);
    expect(max).toBeGreaterThan(0.1);
    expect(diff).toBeLessThan(1e-5 * Math.max(1, max));
  });

  // The same files and tokens as `Untied`, run with another eps on both sides; against the
  // reference at 1e-5 (`untied`) mmc's output is further off than the bar, so a norm that
  // ignored `norm_eps` fails. At 1e-6 the tower's features move by only about 2e-5 (their
  // variance is near 1), under the bar: there the logits (mean squares near 0.01) show it.
  for (const [name, eps, towerSees] of [
    ["smallEps", "1e-6", false],
    ["largeEps", "1e-2", true],
  ] as const) {
    test(`\`norm_eps: ${eps}\` is rms_norm_eps ${eps} (LlamaForCausalLM's logits) and layer_norm_eps ${eps} (CLIP's features)`, () => {
      const logits = compare(mmc![name].logits, ref![name].logits!.data);
      const bar = 1e-5 * Math.max(1, logits.max);
      expect(logits.max).toBeGreaterThan(0.1);
      expect(logits.diff).toBeLessThan(bar);
      const features = compare(
        mmc![name].features,
        dropClass(ref![name].vision!.post_layernorm_tokens),
      );
      const featureBar = 1e-5 * Math.max(1, features.max);
      expect(features.max).toBeGreaterThan(0.1);
      expect(features.diff).toBeLessThan(featureBar);
      const logitsAt1e5 = compare(mmc![name].logits, ref!.untied.logits!.data).diff;
      const featuresAt1e5 = compare(
        mmc![name].features,
        dropClass(ref!.untied.vision!.post_layernorm_tokens),
      ).diff;
      console.log(
        `norm_eps ${eps}: max |d logit| ${logits.diff.toExponential(2)} (${logitsAt1e5.toExponential(2)} ` +
          `against eps 1e-5), max |d feature| ${features.diff.toExponential(2)} ` +
          `(${featuresAt1e5.toExponential(2)} against eps 1e-5)`,
      );
      expect(logitsAt1e5).toBeGreaterThan(10 * bar);
      if (towerSees) expect(featuresAt1e5).toBeGreaterThan(10 * featureBar);
    });
  }
});
