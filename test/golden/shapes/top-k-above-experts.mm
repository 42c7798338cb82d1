import { Decoder, MoE } from "std/llm"

model Sparse {
  llm: Decoder {
    width: 1024, depth: 16, heads: 16,
    moe: MoE { experts: 4, top_k: 8 }
  }
}
