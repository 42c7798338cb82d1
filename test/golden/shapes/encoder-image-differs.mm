// An encoder that carries its own input size (here the 336 px preset) must agree with the
// model's `image`: inside a model the encoder reads the model's images.
import { ViT, ViT_L14_336 } from "std/encoders"
import { MLPProjector } from "std/connectors"
import { Decoder } from "std/llm"

model Mismatch {
  image: Image[3, 224, 224]
  vision: ViT_L14_336
  connector: MLPProjector { }
  llm: Decoder { vocab: 1000, width: 64, depth: 1, heads: 2, context: 1024 }
}

model Written {
  image: Image[3, 448, 448]
  vision: ViT { patch: 14, width: 64, depth: 1, heads: 2, image: Image[3, 336, 336] }
  connector: MLPProjector { }
  llm: Decoder { vocab: 1000, width: 64, depth: 1, heads: 2, context: 2048 }
}
