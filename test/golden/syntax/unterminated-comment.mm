model Tiny {
  image: Image[3, 64, 64]
}
/* a comment that never ends
model Other {}
