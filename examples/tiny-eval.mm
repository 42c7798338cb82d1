// examples/tiny-eval.mm — few-shot benchmark tasks for the quickstart's models: the trains of
// examples/tiny.mm with `captioning` and `vqa` tasks on the synthetic corpus's held-out split, so
// `mmc eval` can score what `mmc run examples/tiny.mm` trained (same models, same checkpoint
// folders). With 16 image tokens and captions of about 43 bytes, a caption shot takes about 61
// positions: four shots, the query and a 48-token answer take about 350 of the model's 512.
import { Tiny, TinyText, CaptionHeavy } from "./tiny.mm"

/// The multimodal model as `train tiny` trains it (its checkpoints: runs/tiny), with the tasks.
train tiny_eval {
  model: Tiny
  data: CaptionHeavy
  steps: 1000, batch: 8, sequence: 128, seed: 1
  checkpoint: { every: 250, dir: "runs/tiny" }
  eval: {
    every: 250, batches: 4
    captioning: {
      annotations: "data/synth/heldout-captions.json", images: "data/synth/heldout-images"
      shots: [0, 2, 4], samples: 50, seed: 0, max_tokens: 48
    }
    vqa: {
      questions: "data/synth/vqa-questions.json", annotations: "data/synth/vqa-annotations.json"
      images: "data/synth/heldout-images", shots: [0, 2, 4], samples: 50, seed: 0
      prompt: "<image>Q: {question} A: "
    }
  }
}

/// The text-only baseline (`train tiny_text_only`, runs/tiny_text_only): the same tasks, read
/// without their images.
train text_only_eval = tiny_eval {
  model: TinyText
  checkpoint: { every: 250, dir: "runs/tiny_text_only" }
}
