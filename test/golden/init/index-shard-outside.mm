// A sharded index whose shard name leads out of its folder.
import { Decoder } from "std/llm"

model M {
  llm: Decoder { vocab: 32, width: 16, depth: 2, heads: 2, kv_heads: 1, mlp: swiglu(24), norm: rms, position: rope, context: 64, init: safetensors("weights/bad-index", layout: hf) }
}
