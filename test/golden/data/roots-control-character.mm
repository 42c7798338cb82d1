data Pretrain {
  caption: 100% jsonl("data/captions.jsonl")
  roots: ["/datasets/coco", "shared/\u{1b}[2Jimages"]
}

data Other {
  text: 100% jsonl("data/text.jsonl")
  roots: ["/datasets/\0"]
}
