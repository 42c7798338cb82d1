// examples/sweep.mm — MM1's connector ablation at toy scale, small enough to run on a fresh
// machine in a couple of minutes: `mmc sweep examples/sweep.mm` trains its 4 points into
// examples/sweeps/connectors/ and writes report.md and report.html there (`--dry-run` first
// to see the points; `--jobs 2` to train two at a time).
import { ViT } from "std/encoders"
import { AvgPool, AttnPool } from "std/connectors"
import { Decoder } from "std/llm"

/// A micro MM1: 32 px images, a one-layer ViT and a one-layer decoder.
model Micro {
  image: Image[3, 32, 32]
  vision: ViT { patch: 8, width: 32, depth: 1, heads: 2 }     // 32/8 = 4, so 4x4 = 16 patch tokens
  connector: AvgPool { tokens: 4 }
  llm: Decoder { vocab: 260, width: 48, depth: 1, heads: 2, mlp: swiglu(128), context: 128 }
}

/// Caption-heavy, on the synthetic corpus (written on first use).
data Synth {
  caption:     80% webdataset("data/synth/caption-{0000..0003}.tar")
  interleaved: 10% jsonl("data/synth/interleaved.jsonl")
  text:        10% jsonl("data/synth/text.jsonl", field: "text")
  images_per_sequence: 1
  tokenizer: bytes
  heldout: webdataset("data/synth/heldout-caption-0000.tar")
  synthesize: "data/synth"
}

train micro {
  model: Micro
  data: Synth
  steps: 40, batch: 4, sequence: 64, seed: 1
  optimizer: AdamW { lr: 3e-3 }
  schedule: Cosine { warmup: 4, final: 10% }
  checkpoint: { every: 10, dir: "runs/micro" }
  eval: { every: 20, batches: 2 }
  log_every: 10
}

/// Connector type against image tokens: MM1 finds the tokens matter more than the type.
sweep connectors {
  base: micro
  vary model.connector: [AvgPool { tokens: 4 }, AttnPool { tokens: 4 }]
  vary model.connector.tokens: [4, 16]
  report: [loss, caption_accuracy, params, tokens_per_second]
}
