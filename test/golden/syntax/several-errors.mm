/// Two syntax errors in one file are both reported.
model A {
  image: Image[3, 64, 64],,
}

train t {
  steps: 10
  batch: ]
}
