// The PyTorch target runs the held-out loss of `eval` but not its benchmark tasks: `captioning`
// and `vqa` are a compile-time error for it, never silently skipped.
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
  heldout: webdataset("data/caption-0001.tar")
}

train scored {
  model: Small, data: Synthetic, steps: 10, sequence: 64
  eval: {
    every: 5, batches: 1
    captioning: { annotations: "data/captions.json", images: "data/images", shots: [0] }
  }
}
