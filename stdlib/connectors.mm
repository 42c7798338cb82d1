// std/connectors — vision-language connector presets. Input and output widths are taken from
// the encoder and the language model they sit between.
import { AvgPool, AttnPool, CAbstractor, MLPProjector } from "std/connectors"

/// Average pooling of the patch grid to 12x12 = 144 tokens, then a linear projection.
connector AvgPool144 = AvgPool { tokens: 144 }

/// 144 learned queries cross-attending to the patch tokens.
connector AttnPool144 = AttnPool { tokens: 144 }

/// Honeybee's C-Abstractor with 144 tokens: MM1's choice. Its LayerNorms over channels are
/// timm's LayerNorm2d, which adds 1e-6.
connector CAbstractor144 = CAbstractor { tokens: 144, norm_eps: 1e-6 }

/// LLaVA-1.5's two-layer MLP projector with its exact (erf) GELU: keeps every patch token.
connector LLaVAProjector = MLPProjector { act: gelu_exact }
