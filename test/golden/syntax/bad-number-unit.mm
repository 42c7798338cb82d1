train t {
  steps: 3OO
  batch: 12Mx
  lr: 3e
}
