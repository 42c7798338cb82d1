model Tiny {
  image: Image[3, 64, 64]
  budget {
    params <= 20M

data Mix {
  text: 100% jsonl("t.jsonl")
}
