// examples/recipe.mm — MM1's recipe at toy scale: pre-train on captions, interleaved documents
// and text, then fine-tune on instruction conversations with the loss on the answers only.
//   mmc run examples/recipe.mm --train pretrain    (writes data/synth first if it is missing)
//   mmc run examples/recipe.mm --train finetune
// pretrain is half of tiny.mm's 1000 steps and finetune 200 steps of the same tokens per step.
// Timed on a shared 2-core machine at load 8 to 10 (wasm): pretrain 8 min 26 s (loss 0.1376),
// finetune 3 min 2 s (loss 0.1432); 382 s + 113 s of CPU.
import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

/// The tiny MM1 of examples/tiny.mm: a ViT, an average-pooling connector and a small decoder
/// over the byte tokenizer's 260 ids.
model Tiny {
  image: Image[3, 64, 64]
  vision: ViT { patch: 8, width: 64, depth: 2, heads: 2 }     // 8x8 = 64 patch tokens
  connector: AvgPool { tokens: 16 }                           // pooled to 16 image tokens
  llm: Decoder {
    vocab: 260, width: 128, depth: 2, heads: 2, mlp: swiglu(344)
    norm: rms, position: rope, context: 256
  }
}

/// Pre-training: caption-heavy, as in examples/tiny.mm.
data Pretrain {
  caption:     80% webdataset("data/synth/caption-{0000..0003}.tar")
  interleaved: 10% jsonl("data/synth/interleaved.jsonl")
  text:        10% jsonl("data/synth/text.jsonl", field: "text")
  images_per_sequence: 2
  tokenizer: bytes
  heldout: webdataset("data/synth/heldout-caption-0000.tar")
  synthesize: "data/synth"
}

/// Supervised fine-tuning: LLaVA-style conversations about the synthetic pictures, laid out as
/// "User: ...\nAssistant: ...\n"; only the assistant's answers are trained on.
data Instruct {
  instruct: 100% conversations("data/synth/instruct.jsonl")
  images_per_sequence: 2
  tokenizer: bytes
  synthesize: "data/synth"
}

train pretrain {
  model: Tiny
  data: Pretrain
  steps: 500, batch: 8, sequence: 128, seed: 1
  optimizer: AdamW { lr: 3e-3, betas: [0.9, 0.95], weight_decay: 0.1, clip: 1.0 }
  schedule: Cosine { warmup: 20, final: 10% }
  checkpoint: { every: 250, dir: "runs/recipe-pretrain" }
  log_every: 50
}

/// Fine-tuning from pretrain's final weights (not its optimizer state) at a lower learning rate, on
/// sequences long enough for a whole conversation (about 150 positions with its image); the
/// encoder stays as pre-trained, as LLaVA does.
train finetune {
  init: pretrain
  freeze: [vision]
  model: Tiny
  data: Instruct
  steps: 200, batch: 4, sequence: 256, seed: 2
  optimizer: AdamW { lr: 1e-3, betas: [0.9, 0.95], weight_decay: 0.1, clip: 1.0 }
  schedule: Cosine { warmup: 10, final: 10% }
  checkpoint: { every: 100, dir: "runs/recipe-finetune" }
  log_every: 20
}
