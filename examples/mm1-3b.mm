// examples/mm1-3b.mm — MM1-3B as a spec with budgets: checked by `mmc check` and summarised by
// `mmc info`, not trained (it needs a GPU cluster). Its LLM dimensions are stand-ins: the paper
// does not publish them (see stdlib/mm1.mm).
import { ViT_H14 } from "std/encoders"
import { CAbstractor144 } from "std/connectors"
import { MM1_LLM_3B, MM1_Experts_3B } from "std/mm1"
import { MM1_Pretrain } from "std/data"

/// MM1-3B: CLIP ViT-H/14 at 378 px, C-Abstractor with 144 tokens, a 3B decoder.
model MM1_3B {
  image: Image[3, 378, 378]          // 378/14 = 27, so 27x27 = 729 patch tokens
  vision: ViT_H14
  connector: CAbstractor144          // adaptive pooling 27x27 -> 12x12 = 144 tokens
  llm: MM1_LLM_3B
  budget {
    params <= 4B
    params.vision < 700M
    image_tokens == 144
    flops_per_token <= 8B
    train_memory <= 120GiB          // one unsharded replica; MM1 shards across many accelerators
  }
}

/// MM1-3B-MoE: 64 experts in every second layer, top-2 (about 64B parameters in all).
model MM1_3B_MoE = MM1_3B {
  llm.moe: MM1_Experts_3B
  budget {
    params <= 70B
    active_params <= 5B
    flops_per_token <= 10B           // top-2 routing runs two experts per token
    train_memory <= 2TiB
  }
}

/// The mixture with its sources pointed at local shards (45:45:10 is kept from MM1_Pretrain).
data Pretrain = MM1_Pretrain {
  caption: webdataset("data/mm1/caption-{00000..00999}.tar")
  interleaved: jsonl("data/mm1/interleaved.jsonl.gz")
  text: jsonl("data/mm1/text.jsonl.gz", field: "text")
}

/// One sequence per device as in MM1's recipe (4096 tokens, 16 images); the paper's batch is 512
/// sequences across many accelerators, and lr = exp(-0.4214 ln N - 0.5535), about 6e-5 at 3B.
train pretrain_3b {
  model: MM1_3B
  data: Pretrain
  steps: 200000, batch: 1, sequence: 4096, seed: 0, precision: mixed
  optimizer: AdamW { lr: 6e-5, betas: [0.9, 0.95], weight_decay: 6e-6, clip: 1.0 }
  schedule: Cosine { warmup: 2000, final: 10% }
  checkpoint: { every: 5000, dir: "runs/mm1-3b" }
}

train pretrain_3b_moe = pretrain_3b { model: MM1_3B_MoE }
