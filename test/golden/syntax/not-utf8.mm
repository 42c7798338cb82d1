model M {
  image: Image[3, 64, 64]
}
// bad byte follows: ÿþ
