data Mix {
  text: 100% jsonl("t.jsonl")
}

data Mix {
  text: 100% jsonl("u.jsonl")
}
