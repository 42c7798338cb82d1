import { Small, Synthetic } from "./_model.mm"

train t {
  model: Small
  data: Synthetic
  steps: 10, batch: 2, sequence: 64
  eval: {
    every: 5
    captioning: { images: "images", shots: [0, 4, 4], prompt: "<image><image>" }
    vqa: { questions: "q.json", annotations: "a.json", images: "images", prompt: "<image> {answer}", colour: 1 }
  }
}
