// std/encoders — image encoder presets. The `ViT` kind itself is defined in
// src/components/vit.ts; the image size comes from the model's `image: Image[C, H, W]`, or, for
// a preset measured alone (`mmc info`), from its own `image` (3x224x224 when it has none).
import { ViT } from "std/encoders"

/// ViT-B/16 as in "An Image is Worth 16x16 Words" (timm `vit_base_patch16_224`): a 1000-class
/// ImageNet head; timm's LayerNorms add 1e-6. At 224 px it has exactly 86,567,656 parameters.
encoder ViT_B16 = ViT { patch: 16, width: 768, depth: 12, heads: 12, mlp: 3072, classes: 1000, norm_eps: 1e-6 }

/// CLIP's vision towers: no patch bias, a norm before the blocks (`ln_pre`), no head; OpenAI's
/// towers use quick GELU, x sigmoid(1.702 x) (`hidden_act: quick_gelu` in their config.json).
encoder CLIP_B16 = ViT {
  patch: 16, width: 768, depth: 12, heads: 12, mlp: quick_gelu(3072), patch_bias: false, pre_norm: true
}

/// CLIP ViT-L/14 (OpenAI's `clip-vit-large-patch14`), the encoder of MM1's ablations (at 224 or
/// 336 px).
encoder ViT_L14 = ViT {
  patch: 14, width: 1024, depth: 24, heads: 16, mlp: quick_gelu(4096), patch_bias: false, pre_norm: true
}

/// CLIP ViT-L/14 at 336 px (OpenAI's `clip-vit-large-patch14-336` vision tower): a 24x24 + 1
/// position table, 303,507,456 parameters. A model using it must have `image: Image[3, 336, 336]`.
encoder ViT_L14_336 = ViT_L14 { image: Image[3, 336, 336] }

/// CLIP ViT-H/14, MM1's final encoder (at 378 px: 27x27 = 729 patch tokens). OpenCLIP-trained
/// (LAION, DFN): the exact, erf GELU (`hidden_act: gelu` in their config.json), `gelu_exact`.
encoder ViT_H14 = ViT {
  patch: 14, width: 1280, depth: 32, heads: 16, mlp: gelu_exact(5120), patch_bias: false, pre_norm: true
}

/// AIM encoders (El-Nouby et al. 2024), as in MM1's encoder ablation: patch 14, 24 blocks;
/// apple/ml-aim's LayerNorms add 1e-6.
encoder AIM_600M = ViT {
  patch: 14, width: 1536, depth: 24, heads: 12, mlp: 6144, patch_bias: false, pre_norm: true, norm_eps: 1e-6
}
encoder AIM_1B = ViT {
  patch: 14, width: 2048, depth: 24, heads: 16, mlp: 8192, patch_bias: false, pre_norm: true, norm_eps: 1e-6
}
encoder AIM_3B = ViT {
  patch: 14, width: 3072, depth: 24, heads: 24, mlp: 12288, patch_bias: false, pre_norm: true, norm_eps: 1e-6
}
