// Partial init: the vision tower from a CLIP checkpoint, the decoder from a Llama one, the
// connector initialised as usual. The CLIP tower's width mismatch is the one error.
import { ViT } from "std/encoders"
import { MLPProjector } from "std/connectors"
import { Decoder } from "std/llm"

model M {
  image: Image[3, 16, 16]
  vision: ViT { patch: 8, width: 24, depth: 1, heads: 2, mlp: 32, patch_bias: false, pre_norm: true, init: safetensors("weights/clip.safetensors", layout: hf) }
  connector: MLPProjector {}
  llm: Decoder { vocab: 32, width: 16, depth: 2, heads: 2, kv_heads: 1, mlp: swiglu(24), norm: rms, position: rope, context: 64, init: safetensors("weights/llama-f32.safetensors", layout: hf) }
}
