import { Decoder, MoE } from "std/llm"

model Huge {
  llm: Decoder { width: 65536, depth: 4096, heads: 64, moe: MoE { experts: 1024 } }
}
