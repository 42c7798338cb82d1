data Pretrain {
  caption: 45% webdataset("data/caption-{0000..0099}.tar")
  interleaved: 45% jsonl("data/interleaved.jsonl")
  text: 20% jsonl("data/text.jsonl", field: "text")
}
