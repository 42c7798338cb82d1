model Tiny {
  image: Image[3, 64 64]
  budget { params <= 20M active_params 12M }
}
