import { Small, Synthetic } from "./_model.mm"

train tiny {
  model: Small
  data: Synthetic
  checkpoint: { every: 100, dir: "/etc" }
}

train home = tiny { checkpoint: { every: 100, dir: "~/runs" } }
