// Every diagnostic code the component kinds and the model composition report, with a title and a
// long explanation (rendered into docs/errors/ pages by the lead). MM22xx: shapes and values of
// components; MM2009/MM2010/MM2011 are the front end's generic codes, reused for the same ideas.

export interface ProblemCode {
  readonly code: string;
  readonly title: string;
  readonly explanation: string;
}

export const PROBLEM_CODES: readonly ProblemCode[] = [
  {
    code: "MM2009",
    title: "wrong kind of value",
    explanation:
      "A field holds a value of the wrong kind, for example a word where a number is expected. Each component field has one type (an integer, a number, `true`/`false`, one of a few words, an `mlp` call like `gelu(3072)`, or a nested component); `mmc info` and hovers show it.",
  },
  {
    code: "MM2010",
    title: "value out of range",
    explanation:
      "A field's value is outside the range the field allows: widths, depths and counts are positive integers, loss weights are not negative and the MoE capacity factor must be greater than 0.",
  },
  {
    code: "MM2011",
    title: "missing field",
    explanation:
      "A component needs a value that was neither written nor can be inferred. A vision encoder needs the model's `image`, for example.",
  },
  {
    code: "MM2018",
    title: "too many parameters to count exactly",
    explanation:
      "Parameter counts are exact whole numbers, and a double holds whole numbers exactly only up to 2^53 - 1 (9,007,199,254,740,991). Every size has its own limit, but their product can still pass it (a huge width times a huge depth); such a model is far past any real one, so mmc refuses it rather than print a wrong count.",
  },
  {
    code: "MM2201",
    title: "image side not divisible by the patch size",
    explanation:
      "A ViT cuts the image into square patches of `patch` x `patch` pixels, so each image side must be a whole number of patches. The patch grid (height / patch by width / patch) gives the encoder's token count. Change the image size or the patch size so that both sides divide evenly; for example 224 px with patch 16 gives a 14x14 grid, 336 px with patch 14 gives 24x24.",
  },
  {
    code: "MM2202",
    title: "connector input width does not match the encoder width",
    explanation:
      "A connector reads the encoder's output, so its input width `in` must equal the encoder's `width`. Leave `in` out and it is taken from `vision.width`.",
  },
  {
    code: "MM2203",
    title: "connector output width does not match the language model width",
    explanation:
      "The connector's image tokens are placed in the language model's sequence beside text embeddings, so its output width `out` must equal `llm.width`. Leave `out` out and it is taken from `llm.width`.",
  },
  {
    code: "MM2204",
    title: "pooling needs a square patch grid",
    explanation:
      "Average pooling and the C-Abstractor pool the patch grid down to a square grid of sqrt(tokens) x sqrt(tokens). They need the encoder's patch grid to be square too, which means a square image. Make the image height equal to its width.",
  },
  {
    code: "MM2205",
    title: "token count is not a square number",
    explanation:
      "Pooling connectors lay their output tokens on a square grid, so `tokens` must be a square number: 64 = 8x8, 144 = 12x12, 256 = 16x16.",
  },
  {
    code: "MM2206",
    title: "connector asks for more tokens than the encoder gives",
    explanation:
      "Pooling only shrinks a grid. The connector's output grid side, sqrt(tokens), must not exceed the encoder's patch grid side. Adaptive pooling handles sides that do not divide evenly (27 -> 12 in MM1), but not growing 8 -> 12.",
  },
  {
    code: "MM2207",
    title: "width not divisible by the number of heads",
    explanation:
      "Multi-head attention splits the width into `heads` equal parts, so `width % heads` must be 0. In a Decoder you can instead give `head_dim` explicitly, and then the query width is `heads * head_dim`.",
  },
  {
    code: "MM2208",
    title: "heads not divisible by `kv_heads`",
    explanation:
      "Grouped-query attention shares each key/value head among `heads / kv_heads` query heads, so `heads` must be a multiple of `kv_heads`.",
  },
  {
    code: "MM2209",
    title: "rotary positions need an even head width",
    explanation:
      "Rotary position embeddings rotate pairs of numbers within each head, so the head width (`head_dim`, or `width / heads`) must be even.",
  },
  {
    code: "MM2210",
    title: "`top_k` is larger than the number of experts",
    explanation:
      "A mixture-of-experts layer sends each token to its `top_k` best experts, so `top_k` cannot exceed `experts`.",
  },
  {
    code: "MM2211",
    title: "MoE placement does not fit the depth",
    explanation:
      "`every: N` puts a mixture-of-experts FFN in every N-th layer (layers N, 2N, ... counting from 1). With N larger than the Decoder's `depth` no layer would get one. Use a smaller `every`, or `every: all`.",
  },
  {
    code: "MM2212",
    title: "image tokens do not fit the context",
    explanation:
      "Each sequence holds `images_per_sequence` images of `image_tokens` tokens each, beside the text. Their total must be less than the language model's `context`, leaving room for text. Use fewer images per sequence, fewer image tokens (the connector's `tokens`), or a longer `context`.",
  },
  {
    code: "MM2213",
    title: "patch larger than the image",
    explanation: "The ViT `patch` must not be larger than the image's height or width.",
  },
  {
    code: "MM2214",
    title: "incomplete vision path",
    explanation:
      "A multimodal model needs all three of `image`, `vision` and `connector`; a text-only model has none of them. Add the missing part, or remove the others.",
  },
  {
    code: "MM2215",
    title: "shared-expert gate without shared experts",
    explanation:
      "`shared_gate: true` gates the output of the shared experts, so it only means something with `shared` of at least 1.",
  },
  {
    code: "MM4022",
    title: "`tiles` without a square image",
    explanation:
      "A model's `tiles` cuts each input image into crops of the model's `image` size (what the encoder reads), so it needs an `image`, a `vision` encoder and a `connector`, and the `image` must be square. A text-only model has nothing to tile: remove `tiles`, or add the vision path.",
  },
  {
    code: "MM4023",
    title: "tile grid too large",
    explanation:
      "A grid of `tiles` may hold at most 64 crops (each crop runs the encoder once; MM1.5 and LLaVA-NeXT use at most about 10), `tiles.grids` may list at most 64 grids, and a grid's long side (crops x the `image` side) may be at most 65,536 px, the largest image side mmc accepts.",
  },
];

/** The entry for a code, or undefined. */
export function problemCode(code: string): ProblemCode | undefined {
  return PROBLEM_CODES.find((c) => c.code === code);
}
