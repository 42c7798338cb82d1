data Pretrain {
  caption: 50% webdataset("data/caption-{0000..0099}.tar")
  docs: 50% jsonl("data/docs.jsonl")
}
