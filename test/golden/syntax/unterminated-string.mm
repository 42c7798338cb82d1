data D {
  text: 10% jsonl("data/text.jsonl)
}
