// The PyTorch target does not run training stages yet: `init: <train>` and `freeze` are
// compile-time errors for it, never silently ignored.
import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

model Small {
  image: Image[3, 32, 32]
  vision: ViT { patch: 8, width: 32, depth: 1, heads: 2 }
  connector: AvgPool { tokens: 4 }
  llm: Decoder { vocab: 260, width: 32, depth: 1, heads: 2, context: 128 }
}

data Synthetic {
  caption: 100% webdataset("data/caption-0000.tar")
}

train pretrain {
  model: Small, data: Synthetic, steps: 10, sequence: 64
  checkpoint: { every: 5, dir: "runs/pretrain" }
}

train finetune {
  model: Small, data: Synthetic, steps: 10, sequence: 64
  init: pretrain
  freeze: [vision]
}
