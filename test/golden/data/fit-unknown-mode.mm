data Quoted {
  caption: 100% jsonl("data/captions.jsonl")
  fit: "pad"
}

data Number {
  caption: 100% jsonl("data/captions.jsonl")
  fit: 1
}

data Fine {
  caption: 100% jsonl("data/captions.jsonl")
  fit: pad
}
