// Shared by the eval cases: a small multimodal model (16 image tokens, a 128-token context).
import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

model Small {
  image: Image[3, 32, 32]
  vision: ViT { patch: 8, width: 32, depth: 1, heads: 2 }
  connector: AvgPool { tokens: 16 }
  llm: Decoder { vocab: 260, width: 32, depth: 1, heads: 2, context: 128 }
}

data Synthetic {
  caption: 100% webdataset("data/caption-0000.tar")
  images_per_sequence: 1
}
