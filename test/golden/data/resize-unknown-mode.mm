data Quoted {
  caption: 100% jsonl("data/captions.jsonl")
  resize: "bicubic"
}

data Number {
  caption: 100% jsonl("data/captions.jsonl")
  resize: 224
}

data Fine {
  caption: 100% jsonl("data/captions.jsonl")
  resize: bicubic
}
