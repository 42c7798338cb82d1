// Shared by the train cases: a small multimodal model with a 512-token context.
import { ViT } from "std/encoders"
import { CAbstractor } from "std/connectors"
import { Decoder } from "std/llm"

model Small {
  image: Image[3, 64, 64]
  vision: ViT { patch: 8, width: 128, depth: 4, heads: 4 }
  connector: CAbstractor { tokens: 16 }
  llm: Decoder { vocab: 512, width: 256, depth: 4, heads: 4, context: 512 }
}

data Synthetic {
  caption: 50% webdataset("data/caption-{0000..0003}.tar")
  interleaved: 50% jsonl("data/interleaved.jsonl")
  images_per_sequence: 4
}
