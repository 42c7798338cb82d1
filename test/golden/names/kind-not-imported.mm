model M {
  vision: ViT { patch: 8 }
}
