// examples/tiled.mm — high-resolution sub-images (MM1.5, LLaVA-NeXT "AnyRes") at CPU size: the
// encoder reads 32 px crops; each image is resized (aspect ratio kept) and padded to the grid of
// 32 px crops that fits it best, cut into those crops, with a 32 px overview of the whole first.
import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

/// Up to 4 crops and an overview, each 4 tokens: at most 20 image tokens per image.
model TinyTiled {
  image: Image[3, 32, 32]                                     // the crop size the encoder reads
  tiles: { grids: ["1x1", "2x2", "1x2", "2x1"], overview: true }
  vision: ViT { patch: 8, width: 64, depth: 2, heads: 2 }     // 32/8 = 4, so 4x4 = 16 patch tokens
  connector: AvgPool { tokens: 4 }                            // pooled to 2x2 = 4 tokens per crop
  llm: Decoder {
    vocab: 260, width: 128, depth: 2, heads: 2, mlp: swiglu(344)
    norm: rms, position: rope, context: 256
  }
  budget {
    image_tokens == 20
  }
}

data Synthetic {
  caption:     80% webdataset("data/synth/caption-{0000..0003}.tar")
  interleaved: 10% jsonl("data/synth/interleaved.jsonl")
  text:        10% jsonl("data/synth/text.jsonl", field: "text")
  images_per_sequence: 2
  tokenizer: bytes
  synthesize: "data/synth"
}

train tiled {
  model: TinyTiled
  data: Synthetic
  steps: 100, batch: 4, sequence: 128, seed: 1
  optimizer: AdamW { lr: 3e-3 }
  schedule: Cosine { warmup: 10, final: 10% }
}
