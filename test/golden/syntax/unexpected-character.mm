model Tiny {
  image: Image[3, 64, 64] @
}
