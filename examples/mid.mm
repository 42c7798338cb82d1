// examples/mid.mm — a GPU-sized variant of the tiny example: about 27M parameters and 16 x 256
// tokens a step (about 660 GFLOP), so `auto` takes webgpu where a GPU is found. On an H100 a step
// took about 2 s (60 steps in 2.5 minutes, resumed halfway); on 2 CPU cores with wasm about 22 s.
import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"
import { CaptionHeavy } from "./tiny.mm"

model Mid {
  image: Image[3, 64, 64]
  vision: ViT { patch: 8, width: 256, depth: 4, heads: 4 }
  connector: AvgPool { tokens: 16 }
  llm: Decoder {
    vocab: 260, width: 512, depth: 8, heads: 8, kv_heads: 4, mlp: swiglu(1376)
    norm: rms, position: rope, context: 256
  }
}

train mid {
  model: Mid
  data: CaptionHeavy
  steps: 60, batch: 16, sequence: 256, seed: 1
  optimizer: AdamW { lr: 1e-3, betas: [0.9, 0.95], weight_decay: 0.1, clip: 1.0 }
  schedule: Cosine { warmup: 10, final: 10% }
  checkpoint: { every: 20, dir: "runs/mid" }
  eval: { every: 20, batches: 2 }
  log_every: 5
}
