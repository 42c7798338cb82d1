// std/data — pre-training mixtures from MM1 and MM1.5. Their paths are placeholders, relative
// to this file: use a mixture through a variant that points its sources at your data, e.g.
//
//   data Mine = MM1_Pretrain {
//     caption: webdataset("data/caption-{0000..0127}.tar")   // keeps the 45% weight
//     interleaved: jsonl("data/obelics.jsonl.gz")
//     text: jsonl("data/text.jsonl.gz", field: "text")
//   }

/// MM1's pre-training mixture: 45% image-caption pairs, 45% interleaved documents, 10% text,
/// up to 16 images per 4096-token sequence.
data MM1_Pretrain {
  caption:     45% webdataset("caption/shard-{00000..00099}.tar")
  interleaved: 45% jsonl("interleaved/docs.jsonl.gz")
  text:        10% jsonl("text/text.jsonl.gz", field: "text")
  images_per_sequence: 16
}

/// MM1.5's pre-training mixture: 50% captions, 10% interleaved, 40% text.
data MM1_5_Pretrain = MM1_Pretrain {
  caption:     50% webdataset("caption/shard-{00000..00099}.tar")
  interleaved: 10% jsonl("interleaved/docs.jsonl.gz")
  text:        40% jsonl("text/text.jsonl.gz", field: "text")
}
