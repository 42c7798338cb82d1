import { Small, Synthetic } from "./_model.mm"

train t {
  model: Small
  data: Synthetic
  steps: 10, batch: 2, sequence: 64
  eval: {
    captioning: { annotations: "captions.json", images: "images", shots: [0, 4, 8] }
  }
}
