// Hover, completion, outline, inlay hints and formatting on the real example and stdlib files,
// asked through the protocol as an editor asks.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MMC, ROOT, TestClient, applyEdits, positionOf } from "./client.js";

let client: TestClient;
let tiny: { uri: string; text: string };
beforeAll(async () => {
  client = await TestClient.start(ROOT);
  tiny = await client.open(join(ROOT, "examples", "tiny.mm"));
});
afterAll(async () => {
  expect(await client.stop()).toBe(0);
});

const hover = (needle: string, delta = 1, nth = 0) =>
  client.hoverText(tiny.uri, positionOf(tiny.text, needle, delta, nth));

describe("hover", () => {
  it("on a model part shows its output shape, parameters, FLOPs and where inferred fields came from", async () => {
    const text = await hover("AvgPool { tokens: 16 }");
    expect(text).toContain("**connector** of `model Tiny`: `AvgPool`");
    expect(text).toContain("output: 16 × 128 (grid 4×4)");
    expect(text).toContain("parameters: 8,320");
    expect(text).toContain("FLOPs per image: 262,144");
    expect(text).toContain("`in = 64` from vision.width");
    expect(text).toContain("`out = 128` from llm.width");
  });

  it("on a preset shows what it is alone: output, parameters, FLOPs per token, inferred fields", async () => {
    const text = await hover("llm TinyLM", 5);
    expect(text).toContain("**llm TinyLM** = `Decoder`");
    expect(text).toContain("the byte tokenizer's 260 ids");
    expect(text).toContain("- output: logits 512 × 260");
    expect(text).toContain("- parameters: 462,464 (462.5K)");
    expect(text).toContain("- FLOPs per token: 1,381,376 (1.381M)");
    expect(text).toContain("`head_dim = 64` from width / heads = 128 / 2");
  });

  it("on a model shows the totals by part and the budget margins", async () => {
    const text = await hover("model Tiny {", 7);
    expect(text).toContain("| connector | `AvgPool` | 16 × 128 | 8,320 |");
    expect(text).toContain("parameters: 587,456");
    // 1M - 587,456 = 412,544 to spare.
    expect(text).toContain(
      "`params <= 1M`: 587,456 (587.5K), 412,544 (412.5K) to spare (41.3% of the bound) ✓",
    );
    expect(text).toContain("`image_tokens == 16`: 16 ✓");
  });

  it("on a variant shows active parameters and the budget it inherits", async () => {
    const text = await hover("model TinyMoE", 7);
    expect(text).toContain("active per token 720,064");
    expect(text).toContain("`params <= 1M`: 984,256");
    const t144 = await hover("model Tiny144", 7);
    // Its own `image_tokens == 144` replaces the inherited `== 16`.
    expect(t144).toContain("`image_tokens == 144`: 144 ✓");
    expect(t144).not.toContain("image_tokens == 16");
  });

  it("on a field shows its doc, type, default, range and value in the model", async () => {
    const text = await hover("AvgPool { tokens: 16 }", 11);
    expect(text).toContain("**AvgPool.tokens**: an integer");
    expect(text).toContain("image tokens per image after the connector");
    expect(text).toContain("- default: `144`");
    expect(text).toContain("- range: ≥ 1");
    expect(text).toContain("- in `model Tiny`: `16`");
  });

  it("on an inferred field of a preset says where the value came from", async () => {
    const lm = tiny.text.indexOf("llm TinyLM");
    const text = await client.hoverText(
      tiny.uri,
      positionOf(tiny.text.slice(0, lm) + tiny.text.slice(lm), "heads: 2", 1),
    );
    expect(text).toContain("**Decoder.heads**");
    expect(text).toContain("- in `TinyLM`: `2`");
  });

  it("on a data source shows its share of the mixture", async () => {
    const text = await hover("caption:     80%");
    expect(text).toContain("**source `caption`** of `data CaptionHeavy`: caption, webdataset");
    expect(text).toContain("share: 80% of the samples");
    // The realised shares need the data, which the server does not read: it says where to look.
    expect(text).toContain("`mmc data inspect FILE --data NAME`");
    const mix = await hover("data Synthetic", 6);
    expect(mix).toContain("| interleaved | interleaved | 45% |");
    expect(mix).toContain("| text | text | 10% |");
  });

  it("on a data source shows the realised share from the runs' metrics logs, read safely", async () => {
    // A copy of tiny.mm whose trains have run folders: `tiny` logged steps (a garbage line, a
    // cut line, an eval record around them); `tiny_moe`'s log is a symlink out of the folder
    // (not read); `tiny_text_only`'s is a FIFO (never opened for reading: it would block).
    const dir = mkdtempSync(join(tmpdir(), "mmc-lsp-realised-"));
    try {
      const spec = join(dir, "tiny.mm");
      writeFileSync(spec, tiny.text);
      for (const t of ["tiny", "tiny_moe", "tiny_text_only"])
        mkdirSync(join(dir, "runs", t), { recursive: true });
      const step = (n: number, caption: number, tokens: number) =>
        JSON.stringify({
          type: "step",
          step: n,
          loss: 3,
          sources: { caption, interleaved: 30, text: 10 },
          source_tokens: { caption: tokens, interleaved: 300, text: 100 },
        });
      writeFileSync(
        join(dir, "runs", "tiny", "metrics.jsonl"),
        [
          step(1, 8, 80),
          "{not json",
          step(2, 160, 600),
          '{"type":"eval","step":2}',
          '{"type":"st',
        ].join("\n"),
      );
      const outside = join(dir, "..", `${dir.split(/[\\/]/).pop()}-outside.jsonl`);
      writeFileSync(outside, step(9, 1, 1));
      symlinkSync(outside, join(dir, "runs", "tiny_moe", "metrics.jsonl"));
      const fifo = spawnSync("mkfifo", [join(dir, "runs", "tiny_text_only", "metrics.jsonl")]);
      const doc = await client.open(spec);
      const text = await client.hoverText(doc.uri, positionOf(doc.text, "caption:     80%", 1));
      expect(text).toContain("share: 80% of the samples");
      expect(text).toContain(
        "- realised: 80% of the samples in `train tiny`'s run (`runs/tiny/metrics.jsonl`, step 2): 160 of 200",
      );
      expect(text).not.toContain("tiny_moe");
      if (fifo.status === 0) expect(text).not.toContain("tiny_text_only");
      rmSync(outside, { force: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("on a budget line shows the value against the bound", async () => {
    expect(await hover("params <= 1M")).toContain(
      "`params <= 1M`: 587,456 (587.5K), 412,544 (412.5K) to spare",
    );
  });

  it("on a train shows its tokens and memory; on train settings the schema's doc", async () => {
    const text = await hover("train tiny {", 7);
    expect(text).toContain("1000 steps × 8 sequences × 128 tokens = 1,024,000 (1.024M) tokens");
    expect(text).toMatch(/memory per step \(fp32\): [\d.]+ MiB = weights/);
    expect(await hover("lr: 3e-3")).toContain("peak learning rate");
    expect(await hover("log_every")).toContain("steps between log lines");
  });

  it("on a name from the standard library shows it as used, with the preset's doc", async () => {
    const mm1 = await client.open(join(ROOT, "stdlib", "mm1.mm"));
    const text = await client.hoverText(mm1.uri, positionOf(mm1.text, "vision: ViT_L14", 9));
    expect(text).toContain("**vision** of `model MM1_Ablation`: `ViT_L14`");
    expect(text).toContain("CLIP ViT-L/14");
    expect(text).toContain("output: 576 × 1024 (grid 24×24)");
    expect(text).toContain("parameters: 303,507,456");
    // A preset declared in another file, hovered at its import: counted there, alone.
    const imp = await client.hoverText(mm1.uri, positionOf(mm1.text, "ViT_H14 }", 1));
    expect(imp).toContain("**encoder ViT_H14** = `ViT`");
    expect(imp).toContain("*declared in `<std>/encoders.mm`*");
    await client.close(mm1.uri);
  });
});

describe("completion", () => {
  const labels = async (needle: string, delta = 0) =>
    (await client.completion(tiny.uri, positionOf(tiny.text, needle, delta))).map((i) => i.label);

  it("offers a component's fields not yet written, with their docs", async () => {
    const items = await client.completion(
      tiny.uri,
      positionOf(tiny.text, "AvgPool { tokens: 16 }", 10),
    );
    expect(items.map((i) => i.label)).toEqual(["in", "out"]);
    expect(items[0]!.documentation).toMatchObject({ kind: "markdown" });
    expect(JSON.stringify(items[0]!.documentation)).toContain("must equal the encoder's `width`");
    const vit = await labels("patch: 8");
    expect(vit).toContain("mlp");
    expect(vit).not.toContain("patch");
    expect(vit).not.toContain("width");
  });

  it("offers enum words at a value", async () => {
    expect(await labels("rms, position")).toEqual(["layer", "rms"]);
    expect(await labels("rope, context")).toEqual(["learned", "rope", "none"]);
  });

  it("offers the mlp functions a kind accepts at an `mlp` value", async () => {
    const text =
      'import { ViT } from "std/encoders"\nimport { Decoder } from "std/llm"\n' +
      "encoder E = ViT { mlp: g }\nllm L = Decoder { mlp: g }\n";
    const doc = await client.open(join(ROOT, "examples", "completion-scratch.mm"), text);
    const vit = (await client.completion(doc.uri, { line: 2, character: 23 })).map((i) => i.label);
    expect(vit.sort()).toEqual(["gelu", "gelu_exact", "quick_gelu", "relu", "swiglu"]);
    const llm = (await client.completion(doc.uri, { line: 3, character: 23 })).map((i) => i.label);
    expect(llm).not.toContain("gelu_exact");
    expect(llm).toContain("gelu");
    await client.close(doc.uri);
  });

  it("offers declared names and kinds that fit", async () => {
    // At `llm:`, the llm presets and kinds in scope.
    expect((await labels("TinyLM\n  budget")).sort()).toEqual(["Decoder", "TinyLM"]);
    expect(await labels("CaptionHeavy\n  steps")).toEqual(["Synthetic", "CaptionHeavy"]);
    const connectors = await labels("AvgPool { tokens: 16 }");
    expect(connectors.sort()).toEqual(["AttnPool", "AvgPool", "CAbstractor"]);
  });

  it("offers the train fields not yet written, and keywords at the top level", async () => {
    const text = "train t {\n  model: Tiny\n  \n}\n";
    const doc = await client.open(join(ROOT, "examples", "completion-scratch.mm"), text);
    const items = (await client.completion(doc.uri, { line: 2, character: 2 })).map((i) => i.label);
    expect(items).toContain("steps");
    expect(items).toContain("log_every");
    expect(items).not.toContain("model");
    const top = (await client.completion(doc.uri, { line: 4, character: 0 })).map((i) => i.label);
    expect(top).toEqual(
      expect.arrayContaining(["import", "model", "data", "train", "sweep", "encoder"]),
    );
    await client.close(doc.uri);
  });
});

describe("outline, inlay hints and formatting", () => {
  it("lists declarations with their fields and budget", async () => {
    const symbols = await client.symbols(tiny.uri);
    expect(symbols.map((s) => s.name)).toEqual([
      "TinyLM",
      "Tiny",
      "TinyText",
      "TinyMoE",
      "Tiny144",
      "Synthetic",
      "CaptionHeavy",
      "tiny",
      "tiny_text_only",
      "tiny_moe",
      "connectors",
    ]);
    const model = symbols.find((s) => s.name === "Tiny")!;
    expect(model.children?.map((c) => c.name)).toEqual([
      "image",
      "vision",
      "connector",
      "llm",
      "budget",
    ]);
    expect(model.children?.at(-1)?.children?.map((c) => c.name)).toEqual([
      "params <= 1M",
      "image_tokens == 16",
    ]);
  });

  it("shows inferred values after the component they belong to", async () => {
    const hints = await client.inlayHints(tiny.uri);
    const after = positionOf(tiny.text, "AvgPool { tokens: 16 }", "AvgPool { tokens: 16 }".length);
    const h = hints.find(
      (x) => x.position.line === after.line && x.position.character === after.character,
    );
    expect(h?.label).toBe("in: 64, out: 128");
    expect(h?.tooltip).toBe("in is inferred from vision.width\nout is inferred from llm.width");
    expect(hints.some((x) => x.label === "mlp: gelu(256)")).toBe(true);
  });

  it("formats as `mmc fmt` does, with an edit that changes only what differs", async () => {
    const untidy = tiny.text
      .replace("model TinyText { llm: TinyLM }", "model   TinyText{llm:TinyLM}")
      .replace("  log_every: 50", "log_every:50");
    const doc = await client.open(join(ROOT, "examples", "format-scratch.mm"), untidy);
    const edits = await client.formatting(doc.uri);
    const expected = spawnSync(process.execPath, [MMC, "fmt", "-"], {
      input: untidy,
      encoding: "utf8",
    }).stdout;
    expect(expected).toBe(tiny.text);
    expect(applyEdits(untidy, edits)).toBe(expected);
    expect(edits).toHaveLength(1);
    expect(edits[0]!.range.start.line).toBeGreaterThan(20);
    // A formatted file gets no edits; a file with a syntax error gets none either.
    await client.change(doc.uri, expected);
    expect(await client.formatting(doc.uri)).toEqual([]);
    await client.change(doc.uri, "model M {");
    expect(await client.formatting(doc.uri)).toEqual([]);
    await client.close(doc.uri);
  });
});
