data Pretrain {
  caption: 100% jsonl("data/captions.jsonl")
  roots: ["/datasets/coco", 3]
}

data Other {
  text: 100% jsonl("data/text.jsonl")
  roots: "/datasets"
}
