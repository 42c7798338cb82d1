import { Decoder } from "std/llm"

model Tiny { llm: Decoder { width: 256, heads: 4, context: 1024, context: 1024, context: 1024, context: 1024, context: 1024, context: 1024, context: 1024, context: 1024, context: 1024, context: 1024, context: 1024, context: 1024, vocabulary: 512, tied: true, norm: rms, position: rope, final_norm: true } }
