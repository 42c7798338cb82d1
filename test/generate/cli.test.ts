// `mmc generate` end to end on a model trained two steps: greedy and seeded output reproduce, the
// cache changes nothing, the batch mode answers good lines and names bad ones by line number, and
// bad input is one clear line with exit 1 (never a stack trace or exit 70).
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { mmc, ROOT } from "./spawn-mmc.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-generate-"));
const spec = join(dir, "micro.mm");
copyFileSync(join(ROOT, "test", "generate", "fixtures", "micro.mm"), spec);
const image = join(dir, "data", "synth", "heldout-images", "COCO_heldout_000000000000.png");
const base = ["generate", spec, "--checkpoint", join(dir, "runs", "micro"), "--backend", "cpu"];
// the same model with tiles: a 64 px image takes the 2x2 grid, 4 crops and an overview of 32 px
const tiled = join(dir, "tiled.mm");

beforeAll(() => {
  const r = mmc(["run", spec, "--backend", "cpu", "--steps", "2"]);
  expect(r.status).toBe(0);
  writeFileSync(
    tiled,
    readFileSync(spec, "utf8")
      .replace(
        "image: Image[3, 32, 32]",
        'image: Image[3, 32, 32]\n  tiles: { grids: ["1x1", "2x2"], overview: true }',
      )
      .replace('dir: "runs/micro"', 'dir: "runs/tiled"'),
  );
  const t = mmc(["run", tiled, "--backend", "cpu", "--steps", "2"]);
  expect(t.status, t.stderr).toBe(0);
}, 600_000);

describe("mmc generate", () => {
  test("greedy output is reproducible, and the same without the cache", () => {
    const args = [...base, "--image", image, "--prompt", "a", "--max-tokens", "12", "--json"];
    const a = mmc(args);
    expect(a.stderr).toBe("");
    expect(a.status).toBe(0);
    const ra = JSON.parse(a.stdout) as Record<string, unknown>;
    expect(ra["prompt_tokens"]).toBe(1 + 4 + 1); // BOS, 4 image tokens, "a"
    expect(["end", "max-tokens"]).toContain(ra["stop"]);
    const b = JSON.parse(mmc([...args, "--no-cache"]).stdout) as Record<string, unknown>;
    expect(b["text"]).toBe(ra["text"]);
    const text = mmc(args.filter((x) => x !== "--json"));
    expect(text.status).toBe(0);
    expect(text.stdout.replace(/\n$/, "")).toBe(
      (ra["text"] as string).replace(
        /[\u0000-\u0008\u000b-\u001f]/g,
        (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
      ),
    );
  }, 600_000);

  test("a tiled model: each image as its overview and crops, the same without the cache; eval runs", () => {
    const args = [
      "generate",
      tiled,
      "--checkpoint",
      join(dir, "runs", "tiled"),
      "--backend",
      "cpu",
      "--image",
      image,
      "--prompt",
      "a",
      "--max-tokens",
      "8",
      "--json",
    ];
    const a = mmc(args);
    expect(a.status, a.stderr).toBe(0);
    const ra = JSON.parse(a.stdout) as Record<string, unknown>;
    expect(ra["prompt_tokens"]).toBe(1 + 5 * 4 + 1); // BOS, 5 passes x 4 tokens, "a"
    const b = JSON.parse(mmc([...args, "--no-cache"]).stdout) as Record<string, unknown>;
    expect(b["text"]).toBe(ra["text"]);
    const e = mmc([
      "eval",
      tiled,
      "--checkpoint",
      join(dir, "runs", "tiled"),
      "--backend",
      "cpu",
      "--samples",
      "2",
      "--json",
      "--out",
      join(dir, "tiled-eval"),
    ]);
    expect(e.status, e.stderr).toBe(0);
    const results = (JSON.parse(e.stdout) as { results: { samples: number }[] }).results;
    expect(results.map((x) => x.samples)).toEqual([2, 2, 2, 2]);
  }, 600_000);

  test("sampling repeats with its seed", () => {
    const args = [
      ...base,
      "--image",
      image,
      "--prompt",
      "",
      "--temperature",
      "1",
      "--top-p",
      "0.95",
      "--json",
    ];
    const text = (seed: string) => {
      const r = mmc([...args, "--seed", seed]);
      expect(r.status).toBe(0);
      return (JSON.parse(r.stdout) as Record<string, unknown>)["text"];
    };
    expect(text("4")).toBe(text("4"));
    expect(text("5")).not.toBe(text("4"));
  }, 600_000);

  test("batch mode: answers, and bad lines by number", () => {
    const requests = join(dir, "data", "synth", "requests.jsonl");
    const out = join(dir, "answers.jsonl");
    writeFileSync(
      requests,
      [
        JSON.stringify({
          id: "a",
          prompt: "",
          images: ["heldout-images/COCO_heldout_000000000001.png"],
          max_tokens: 5,
        }),
        "{not json",
        JSON.stringify({ prompt: "x", images: ["../../micro.mm"] }),
        "",
        JSON.stringify({ prompt: "x", images: ["heldout-images/none.png"] }),
        JSON.stringify({ prompt: "x", colour: 1 }),
        JSON.stringify({ prompt: "x".repeat(2 * 1024 * 1024) }),
        JSON.stringify({
          prompt: "<image><image>",
          images: ["heldout-images/COCO_heldout_000000000002.png"],
        }),
        JSON.stringify({ prompt: "y".repeat(300) }),
        JSON.stringify({ id: 7, prompt: "the", max_tokens: 3, temperature: 0.5, seed: 9 }),
      ].join("\n") + "\n",
    );
    const r = mmc([
      "generate",
      spec,
      "--checkpoint",
      join(dir, "runs", "micro"),
      "--backend",
      "cpu",
      "--batch",
      requests,
      "--out",
      out,
    ]);
    expect(r.status).toBe(1);
    const lines = r.stderr
      .split("\n")
      .filter((l) => l.includes("skipped") && l.includes("requests.jsonl:"));
    expect(lines.map((l) => Number(/requests\.jsonl:(\d+):/.exec(l)?.[1]))).toEqual([
      2, 3, 5, 6, 7, 8, 9,
    ]);
    expect(r.stderr).toMatch(/:2: not valid JSON/);
    expect(r.stderr).toMatch(/:3: path `..\/..\/micro.mm` climbs out of the data folder/);
    expect(r.stderr).toMatch(/:6: unknown field `colour`/);
    expect(r.stderr).toMatch(/:7: the line is \d+ bytes, over the 1048576-byte limit/);
    expect(r.stderr).toMatch(/:8: the prompt has 2 `<image>` markers but 1 image was given/);
    expect(r.stderr).toMatch(/:9: the prompt takes 301 positions .* context is 256/);
    expect(r.stderr).toContain("2 requests answered");
    const answers = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(answers.map((a) => [a["line"], a["id"]])).toEqual([
      [1, "a"],
      [10, 7],
    ]);
    expect(answers[0]!["tokens"] as number).toBeLessThanOrEqual(5);
    expect(answers[1]!["tokens"] as number).toBeLessThanOrEqual(3);
  }, 600_000);

  test("--batch-size: the same answers in fewer passes; --chat wraps the prompt", () => {
    const requests = join(dir, "data", "synth", "batched.jsonl");
    writeFileSync(
      requests,
      [
        { prompt: "", images: ["heldout-images/COCO_heldout_000000000001.png"], max_tokens: 6 },
        { prompt: "a longer prompt than the others", max_tokens: 9 },
        { prompt: "<image> is", images: ["heldout-images/COCO_heldout_000000000002.png"] },
        { prompt: "the", temperature: 0.7, seed: 3, max_tokens: 12 },
        { prompt: "x", max_tokens: 2 },
      ]
        .map((r) => JSON.stringify(r))
        .join("\n") + "\n",
    );
    const answers = (size: string, extra: string[] = []) => {
      const out = join(dir, `batched-${size}${extra.length}.jsonl`);
      const r = mmc([...base, "--batch", requests, "--out", out, "--batch-size", size, ...extra]);
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((l) => {
          const { seconds: _, ...rest } = JSON.parse(l) as Record<string, unknown>;
          return rest;
        });
    };
    const alone = answers("1");
    expect(alone).toHaveLength(5);
    expect(answers("3")).toEqual(alone);
    expect(answers("8")).toEqual(alone);
    // --chat: `User: ` + the images + the prompt + `\nAssistant: `, as conversations lay it out
    const chat = mmc([...base, "--image", image, "--prompt", "hi", "--chat", "--json"]);
    expect(chat.status, chat.stderr).toBe(0);
    const c = JSON.parse(chat.stdout) as Record<string, unknown>;
    expect(c["prompt_tokens"]).toBe(1 + "User: ".length + 4 + 2 + 1 + "Assistant: ".length);
    const spelled = mmc([
      ...base,
      ...["--image", image, "--prompt", "User: <image>hi\nAssistant: ", "--json"],
    ]);
    expect((JSON.parse(spelled.stdout) as Record<string, unknown>)["text"]).toBe(c["text"]);
    const chatted = answers("2", ["--chat"]);
    expect(chatted[1]!["prompt_tokens"]).toBe(
      (alone[1]!["prompt_tokens"] as number) + "User: ".length + 1 + "Assistant: ".length,
    );
  }, 600_000);

  test("bad input: one line, exit 1 or 2", () => {
    const cases: [string[], number, RegExp][] = [
      [[...base, "--prompt", "<image>"], 1, /1 `<image>` marker but 0 images/],
      [[...base, "--image", join(dir, "nope.png"), "--prompt", "x"], 1, /does not exist/],
      [[...base, "--image", spec, "--prompt", "x"], 1, /image `.*micro\.mm`/],
      [[...base, "--prompt", "z".repeat(300)], 1, /301 positions .* context is 256/],
      [["generate", spec, "--checkpoint", join(dir, "none"), "--prompt", "x"], 1, /does not exist/],
      [["generate", spec, "--prompt", "x"], 2, /needs `--checkpoint PATH`/],
      [[...base, "--prompt", "x", "--temperature", "-1"], 2, /--temperature/],
      [[...base, "--batch", spec], 2, /needs `--out/],
      [[...base, "--prompt", "x", "--batch-size", "2"], 2, /`--batch-size` goes with `--batch`/],
    ];
    for (const [args, status, message] of cases) {
      const r = mmc(args);
      expect(r.status, r.stderr).toBe(status);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 600_000);
});
