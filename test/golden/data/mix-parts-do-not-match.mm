data Pretrain {
  caption: webdataset("data/caption-{0000..0099}.tar")
  interleaved: jsonl("data/interleaved.jsonl")
  text: jsonl("data/text.jsonl", field: "text")
  mix: 45:45
}
