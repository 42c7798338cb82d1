import { Decoder } from "std/llm"
import { ViT } from "std/encoders"
import { CAbstractor, MLPProjector } from "std/connectors"

// `norm_eps` is in (0, 1]: an eps of 0 divides a constant row by zero, and one past 1 stops the
// norm from normalising. Every kind with norms has the field.
model ZeroEps {
  llm: Decoder { width: 256, depth: 2, heads: 4, norm_eps: 0 }
}

model HugeEps {
  image: Image[3, 224, 224]
  vision: ViT { width: 256, depth: 2, heads: 4, norm_eps: 2 }
  connector: MLPProjector {}
  llm: Decoder { width: 256, depth: 2, heads: 4, norm_eps: 1e-6 }
}

model NegativeEps {
  image: Image[3, 224, 224]
  vision: ViT { width: 256, depth: 2, heads: 4, norm_eps: 1e-6 }
  connector: CAbstractor { tokens: 16, depth: 1, norm_eps: -1 }
  llm: Decoder { width: 256, depth: 2, heads: 4 }
}
