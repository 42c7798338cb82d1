import { Decoder, MoE } from "std/llm"

model Sparse {
  llm: Decoder {
    width: 512, depth: 4, heads: 8,
    moe: MoE { experts: 8, top_k: 2, every: 8 }
  }
}
