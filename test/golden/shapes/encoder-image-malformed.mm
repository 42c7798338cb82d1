// An encoder's `image` is written like a model's: `Image[channels, height, width]`.
import { ViT } from "std/encoders"
import { MLPProjector } from "std/connectors"
import { Decoder } from "std/llm"

model Bad {
  image: Image[3, 224, 224]
  vision: ViT { patch: 14, width: 64, depth: 1, heads: 2, image: [3, 224, 224] }
  connector: MLPProjector { }
  llm: Decoder { vocab: 1000, width: 64, depth: 1, heads: 2, context: 1024 }
}
