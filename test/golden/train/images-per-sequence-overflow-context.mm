import { Small } from "./_model.mm"

/// MM1 packs up to 16 images per sequence; 40 of Small's 16-token images do not fit its context.
data ManyImages {
  caption: 50% webdataset("data/caption-{0000..0003}.tar")
  interleaved: 50% jsonl("data/interleaved.jsonl")
  images_per_sequence: 40
}

train t {
  model: Small
  data: ManyImages
  steps: 300, batch: 8, sequence: 512
}
