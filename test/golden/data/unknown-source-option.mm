data Pretrain {
  caption: 50% webdataset("data/caption-{0000..0099}.tar")
  text: 50% jsonl("data/text.jsonl", column: "text")
}
