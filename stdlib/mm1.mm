// std/mm1 — the MM1 family (McKinzie et al., "MM1: Methods, Analysis & Insights from Multimodal
// LLM Pre-training", 2024). The encoders and the connector follow the paper.
//
// The paper does NOT publish the hidden size, depth, heads or vocabulary of its language models.
// The `MM1_LLM_*` presets below are Llama-style STAND-INS sized to the paper's parameter classes
// (1.2B, 3B, 7B, 30B); counts derived from them describe the stand-ins, not Apple's models.
import { ViT_L14, ViT_H14 } from "std/encoders"
import { CAbstractor144 } from "std/connectors"
import { Decoder, MoE } from "std/llm"

/// Stand-in for MM1's 1.2B ablation LLM (dimensions not published).
llm MM1_LLM_1B = Decoder {
  vocab: 32000, context: 4096, width: 2048, depth: 20, heads: 16, mlp: swiglu(5632)
  norm: rms, biases: none, position: rope, tied: false
}
/// Stand-in for MM1's 3B LLM (dimensions not published).
llm MM1_LLM_3B = MM1_LLM_1B { width: 2560, depth: 36, heads: 20, mlp: swiglu(6912) }
/// Stand-in for MM1's 7B LLM: Llama-2-7B's shape (dimensions not published).
llm MM1_LLM_7B = MM1_LLM_1B { width: 4096, depth: 32, heads: 32, mlp: swiglu(11008) }
/// Stand-in for MM1's 30B LLM: LLaMA-30B's shape (dimensions not published).
llm MM1_LLM_30B = MM1_LLM_1B { width: 6656, depth: 60, heads: 52, mlp: swiglu(17920) }

/// MM1-3B-MoE's experts: 64, MoE FFN every 2 layers, top-2, 0.01 balance and 0.001 z-loss weights.
moe MM1_Experts_3B = MoE { experts: 64, top_k: 2, every: 2, balance_loss: 0.01, z_loss: 0.001 }
/// MM1-7B-MoE's experts: 32, MoE FFN every 4 layers, top-2.
moe MM1_Experts_7B = MoE { experts: 32, top_k: 2, every: 4, balance_loss: 0.01, z_loss: 0.001 }

/// The ablation baseline: CLIP ViT-L/14 at 336 px (24x24 = 576 patch tokens), C-Abstractor
/// with 144 image tokens, a 1.2B LLM (stand-in).
model MM1_Ablation {
  image: Image[3, 336, 336]
  vision: ViT_L14
  connector: CAbstractor144
  llm: MM1_LLM_1B
}

/// MM1-3B: CLIP ViT-H/14 at 378 px (27x27 = 729 patch tokens), pooled to 12x12 = 144 tokens.
model MM1_3B {
  image: Image[3, 378, 378]
  vision: ViT_H14
  connector: CAbstractor144
  llm: MM1_LLM_3B
}
model MM1_7B = MM1_3B { llm: MM1_LLM_7B }
model MM1_30B = MM1_3B { llm: MM1_LLM_30B }

/// MM1-3B-MoE (the paper: about 64B parameters in all).
model MM1_3B_MoE = MM1_3B { llm.moe: MM1_Experts_3B }
/// MM1-7B-MoE (the paper: about 47B parameters in all).
model MM1_7B_MoE = MM1_7B { llm.moe: MM1_Experts_7B }
