// `mmc generate` on webgpu: tfjs's webgpu backend on a real WebGPU adapter with no GPU (headless
// chromium with SwiftShader, bench/chromium-webgpu.mjs). The request path (prompt layout with
// images, prefill, KV cache, greedy and seeded top-k sampling, batching, `--no-cache`) runs for
// a multimodal MoE model on cpu and on webgpu in one page, from the same seeded
// weights: the same tokens on both backends, the cache and the batch agreeing with the full
// forward pass on each, and the prompt pass's logits within 1e-4. Without chromium, or where
// chromium gives no WebGPU adapter, the suite is skipped with a notice.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { haveChromium, runInChromium } from "../../bench/chromium-webgpu.mjs";
import { generatedCodeText } from "../runtime/generated-code.js";
import type { Answers, PageCase, PageRequest } from "./webgpu-generate-page.js";

const PAGE = resolve(import.meta.dirname, "webgpu-generate-page.ts");

const vision = { kind: "ViT", config: { patch: 4, width: 16, depth: 1, heads: 2 } };
const connector = { kind: "AvgPool", config: { tokens: 4 } };
const llm = { vocab: 260, width: 32, depth: 2, heads: 4, kv_heads: 2, context: 64 };
// One case, to keep the page short (SwiftShader compiles a shader for every new shape): rotary
// positions, grouped-query attention and an MoE layer whose training capacity drops tokens
// (routed on the device on webgpu, without a capacity limit at inference).
const CASES: PageCase[] = [
  {
    name: "MoE, rotary, GQA",
    seed: 6,
    input: {
      image: [3, 16, 16],
      vision,
      connector,
      llm: {
        kind: "Decoder",
        config: {
          ...llm,
          position: "rope",
          moe: { experts: 4, top_k: 2, every: 2, capacity: 1.0 },
        },
      },
    },
  },
];
const REQUESTS: PageRequest[] = [
  { prompt: "<image>a photo of", images: 1, sampling: { temperature: 0 }, seed: 0 },
  { prompt: "<image>and<image>", images: 2, sampling: { temperature: 0 }, seed: 1 },
  { prompt: "no image:", images: 0, sampling: { temperature: 0.8, topK: 20 }, seed: 7 },
];
const MAX_TOKENS = 5;

let result: Record<string, Answers[]> | undefined;
let notice = "";

if (!haveChromium)
  console.warn(
    "notice: no chromium (MMC_CHROMIUM or /usr/bin/chromium): the webgpu generation tests are skipped",
  );

describe.skipIf(!haveChromium)("mmc generate's path on webgpu in chromium (SwiftShader)", () => {
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "mmc-webgpu-generate-"));
    const imports: string[] = [];
    const entries: string[] = [];
    CASES.forEach((c, i) => {
      writeFileSync(join(dir, `models-${i}.ts`), generatedCodeText(c.input));
      imports.push(`import { CaseCode as code${i} } from "./models-${i}.ts";`);
      entries.push(`{ case: ${JSON.stringify(c)}, code: code${i} }`);
    });
    writeFileSync(
      join(dir, "entry.mjs"),
      `${imports.join("\n")}\nimport { install } from ${JSON.stringify(PAGE)};\ninstall([${entries.join(", ")}]);\n`,
    );
    const r = await runInChromium<Record<string, Answers[]>>(join(dir, "entry.mjs"), {
      requests: REQUESTS,
      maxTokens: MAX_TOKENS,
    });
    if (r.adapter === undefined) {
      notice = `notice: chromium gave no WebGPU adapter, so the webgpu generation tests are skipped (${r.logs.join("; ")})`;
      console.warn(notice);
    }
    result = r.value;
  }, 240_000);

  for (const c of CASES) {
    it(`${c.name}: the same tokens on webgpu as on cpu, cached, batched and uncached`, ({
      skip,
    }) => {
      if (result === undefined) return skip(notice);
      const [cpu, gpu] = result[c.name]!;
      expect(cpu!.backend).toBe("cpu");
      expect(gpu!.backend).toBe("webgpu");
      for (const a of [cpu!, gpu!]) {
        // every request generated something, up to the limit or the end of text
        for (const ids of a.cached) expect(ids.length).toBeGreaterThan(0);
        for (const ids of a.cached) expect(ids.length).toBeLessThanOrEqual(MAX_TOKENS);
        expect(a.batched, a.backend).toEqual(a.cached);
        expect(a.uncached, a.backend).toEqual(a.cached);
      }
      expect(gpu!.cached).toEqual(cpu!.cached);
      expect(gpu!.stops).toEqual(cpu!.stops);
      // the answers are not all one sequence (a model that ignores its input would give that)
      expect(new Set(cpu!.cached.map((ids) => ids.join(","))).size).toBeGreaterThan(1);
    });

    it(`${c.name}: the prompt pass's logits on webgpu within 1e-4 of cpu`, ({ skip }) => {
      if (result === undefined) return skip(notice);
      const [cpu, gpu] = result[c.name]!;
      expect(gpu!.firstLogits.length).toBe(260);
      let worst = 0;
      for (let i = 0; i < 260; i++)
        worst = Math.max(worst, Math.abs(gpu!.firstLogits[i]! - cpu!.firstLogits[i]!));
      expect(worst).toBeLessThan(1e-4);
      // not all zeros (chromium's synchronous reads on webgpu give zeros)
      expect(Math.max(...gpu!.firstLogits.map(Math.abs))).toBeGreaterThan(1e-3);
    });
  }
});
