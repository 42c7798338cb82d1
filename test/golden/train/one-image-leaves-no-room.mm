import { Small } from "./_model.mm"

data OneImage {
  caption: 100% webdataset("data/caption-{0000..0003}.tar")
  images_per_sequence: 1
}

train t {
  model: Small
  data: OneImage
  steps: 300, batch: 8, sequence: 16
}
