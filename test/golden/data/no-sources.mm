data Empty {
  images_per_sequence: 4
  tokenizer: bytes
}
