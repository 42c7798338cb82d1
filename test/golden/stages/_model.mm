// Shared by the stage cases: a small dense model, its MoE twin, a text-only model, and a
// pre-training that writes checkpoints.
import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder, MoE } from "std/llm"

model Small {
  image: Image[3, 64, 64]
  vision: ViT { patch: 8, width: 64, depth: 2, heads: 2 }
  connector: AvgPool { tokens: 16 }
  llm: Decoder { vocab: 260, width: 128, depth: 2, heads: 2, mlp: swiglu(344), context: 256 }
}

model SmallMoE = Small {
  llm.moe: MoE { experts: 4, top_k: 2, every: 2 }
}

model Wider = Small {
  llm.width: 192
}

model TextOnly {
  llm: Decoder { vocab: 260, width: 128, depth: 2, heads: 2, mlp: swiglu(344), context: 256 }
}

data Synthetic {
  caption: 50% webdataset("data/caption-{0000..0003}.tar")
  text: 50% jsonl("data/text.jsonl", field: "text")
}
