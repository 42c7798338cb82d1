// examples/tiny.mm — a multimodal model small enough to train on a laptop CPU in minutes.
// `mmc run examples/tiny.mm` generates its synthetic data first if data/synth is missing.
import { ViT } from "std/encoders"
import { AvgPool, AttnPool, CAbstractor } from "std/connectors"
import { Decoder, MoE } from "std/llm"

/// A CPU-sized MM1: ViT, C-Abstractor and a small decoder with a mixture of experts.
model Tiny {
  image: Image[3, 64, 64]
  vision: ViT { patch: 8, width: 128, depth: 4, heads: 4 }          // 64/8 = 8, so 8x8 = 64 patch tokens
  connector: CAbstractor { tokens: 16 }                              // widths come from its neighbours
  llm: Decoder {
    vocab: 512, width: 256, depth: 4, heads: 4, kv_heads: 2,
    mlp: swiglu(688), norm: rms, position: rope, context: 512,
    moe: MoE { experts: 4, top_k: 2, every: 2, balance_loss: 0.01, z_loss: 0.001, capacity: 1.25 }
  }
  budget {
    params <= 20M
    active_params <= 12M
    image_tokens <= 144
  }
}

/// The same model at 96 px with 144 image tokens: only the overrides are written.
model Tiny144 = Tiny { image: Image[3, 96, 96], connector.tokens: 144 }

/// MM1's 45:45:10 mixture of captions, interleaved documents and text, on synthetic data.
data Synthetic {
  caption:     45% webdataset("data/synth/caption-{0000..0003}.tar")
  interleaved: 45% jsonl("data/synth/interleaved.jsonl")
  text:        10% jsonl("data/synth/text.jsonl", field: "text")
  images_per_sequence: 4
  tokenizer: bytes
  heldout: webdataset("data/synth/heldout-caption-0000.tar")   // evaluation only, never trained on
  synthesize: "data/synth"   // `mmc run` writes the synthetic corpus here first if it is missing
}

train tiny {
  model: Tiny
  data: Synthetic
  steps: 300, batch: 8, sequence: 256, seed: 1
  optimizer: AdamW { lr: 3e-3, betas: [0.9, 0.95], weight_decay: 0.1, clip: 1.0 }
  schedule: Cosine { warmup: 30, final: 10% }
  checkpoint: { every: 100, dir: "runs/tiny" }
}

/// MM1's connector ablation, at toy scale: the connector type matters little, tokens matter more.
sweep connectors {
  base: tiny { steps: 200 }
  vary model.connector: [AvgPool { tokens: 16 }, AttnPool { tokens: 16 }, CAbstractor { tokens: 16 }]
  vary model.image: [Image[3, 64, 64], Image[3, 96, 96]]
  report: [loss, caption_accuracy, params]
}
