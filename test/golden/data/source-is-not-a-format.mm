data Captions {
  caption: 100% webdataset("data/caption-{0000..0099}.tar")
}

// Mixtures do not nest: a source must be a format such as `jsonl(...)`.
data Pretrain {
  caption: 90% Captions("data/caption-{0000..0099}.tar")
  text: 10% jsonl("data/text.jsonl", field: "text")
}
