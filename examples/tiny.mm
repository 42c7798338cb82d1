// examples/tiny.mm — a multimodal model small enough to train on a laptop CPU in minutes.
// `mmc run examples/tiny.mm` writes the synthetic corpus first if data/synth is missing, then
// trains `tiny` (about 3 minutes on 2 idle cores with the wasm backend).
import { ViT } from "std/encoders"
import { AvgPool, AttnPool, CAbstractor } from "std/connectors"
import { Decoder, MoE } from "std/llm"

/// The language model, shared by the multimodal model and its text-only twin. Its vocabulary is
/// the byte tokenizer's 260 ids. It trains on 128-position sequences; its context of 512 leaves
/// room for examples/tiny-eval.mm's 4-shot prompts (rotary positions: no parameters depend on it).
llm TinyLM = Decoder {
  vocab: 260, width: 128, depth: 2, heads: 2, mlp: swiglu(344)
  norm: rms, position: rope, context: 512
}

/// A CPU-sized MM1: a ViT, an average-pooling connector and a small decoder.
model Tiny {
  image: Image[3, 64, 64]
  vision: ViT { patch: 8, width: 64, depth: 2, heads: 2 }     // 64/8 = 8, so 8x8 = 64 patch tokens
  connector: AvgPool { tokens: 16 }                           // pooled to 4x4 = 16 image tokens
  llm: TinyLM
  budget {
    params <= 1M
    image_tokens == 16
  }
}

/// The same language model with no image side: the text-only baseline.
model TinyText { llm: TinyLM }

/// With a mixture of experts in every second layer, top-2 routing (MM1-MoE style).
model TinyMoE = Tiny {
  llm.moe: MoE { experts: 4, top_k: 2, every: 2, balance_loss: 0.01, z_loss: 0.001, capacity: 1.25 }
}

/// At 96 px with 144 image tokens: only the overrides are written.
model Tiny144 = Tiny {
  image: Image[3, 96, 96]                                     // 96/8 = 12, so 12x12 = 144 patch tokens
  connector.tokens: 144
  budget { image_tokens == 144 }
}

/// MM1's 45:45:10 mixture of captions, interleaved documents and text, on the synthetic corpus.
data Synthetic {
  caption:     45% webdataset("data/synth/caption-{0000..0003}.tar")
  interleaved: 45% jsonl("data/synth/interleaved.jsonl")
  text:        10% jsonl("data/synth/text.jsonl", field: "text")
  images_per_sequence: 2
  tokenizer: bytes
  heldout: webdataset("data/synth/heldout-caption-0000.tar")   // evaluation only, never trained on
  synthesize: "data/synth"   // `mmc run` writes the synthetic corpus here first if it is missing
}

/// Caption-heavy: MM1 finds caption data drives zero-shot captioning, and a model this small
/// needs it to learn to read the pixels within minutes (see docs/language.md).
data CaptionHeavy = Synthetic {
  caption:     80% webdataset("data/synth/caption-{0000..0003}.tar")
  interleaved: 10% jsonl("data/synth/interleaved.jsonl")
  text:        10% jsonl("data/synth/text.jsonl", field: "text")
}

train tiny {
  model: Tiny
  data: CaptionHeavy
  steps: 1000, batch: 8, sequence: 128, seed: 1
  optimizer: AdamW { lr: 3e-3, betas: [0.9, 0.95], weight_decay: 0.1, clip: 1.0 }
  schedule: Cosine { warmup: 20, final: 10% }
  checkpoint: { every: 250, dir: "runs/tiny" }
  eval: { every: 250, batches: 4 }
  log_every: 50
}

/// The text-only baseline: the same language model trained on the text of the same documents.
train tiny_text_only = tiny { model: TinyText, checkpoint: { every: 250, dir: "runs/tiny_text_only" } }

/// The mixture-of-experts variant (`mmc run examples/tiny.mm --train tiny_moe`).
train tiny_moe = tiny { model: TinyMoE, checkpoint: { every: 250, dir: "runs/tiny_moe" } }

/// MM1's connector ablation, at toy scale: the connector type matters little, tokens matter more.
sweep connectors {
  base: tiny { steps: 400 }
  vary model.connector: [AvgPool { tokens: 16 }, AttnPool { tokens: 16 }, CAbstractor { tokens: 16 }]
  vary model.image: [Image[3, 64, 64], Image[3, 96, 96]]
  report: [loss, caption_accuracy, params]
}
