data Pretrain {
  caption: 50% webdataset("data/caption-{0000..0099}.tar")
  interleaved: 0% jsonl("data/interleaved.jsonl")
  text: 50% jsonl("data/text.jsonl", field: "text")
}
