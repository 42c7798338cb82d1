model Tiny {
  image: Image[3, 64, 64]
}
let x = 3
train t { steps: 10 }
