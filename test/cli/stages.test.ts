// Two training stages through `mmc run`, as a user drives them: the later stage refuses to start
// before the earlier one has a checkpoint (naming the command), starts from its weights (MoE
// experts upcycled), records which checkpoint, resumes from its own checkpoint after a SIGTERM,
// and keeps frozen tensors bit-identical; `mmc info` counts trainable and frozen parameters.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { readCheckpoint } from "../../src/runtime/checkpoint/checkpoint.js";
import { MMC, mmc, ROOT } from "./run-mmc.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-stages-"));
const spec = join(dir, "stages.mm");
const run = (...args: string[]) =>
  mmc(["run", "stages.mm", "--backend", "cpu", ...args], { cwd: dir });

/** The `mmc` metadata of a safetensors file, read by hand (not through mmc's reader). */
function metadataOf(path: string): string {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8")) as {
    __metadata__: Record<string, string>;
  };
  return header.__metadata__["mmc"] as string;
}

function records(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(() => {
  copyFileSync(join(ROOT, "test", "cli", "fixtures", "stages.mm"), spec);
});

describe("mmc info", () => {
  test("counts trainable and frozen parameters and the memory they take", () => {
    const r = mmc(["info", spec, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    type Mem = {
      train: string;
      weights: number;
      gradients: number;
      optimizer: number;
      trainable: number;
      frozen: number;
      freeze: string[];
      init?: { train: string; upcycled_layers: number[] };
    };
    type M = { name: string; params: { total: number; vision: number }; train_memory: Mem[] };
    const models = (JSON.parse(r.stdout) as { models: M[] }).models;
    const micro = models.find((m) => m.name === "Micro")!;
    const moe = models.find((m) => m.name === "MicroMoE")!;
    const pre = micro.train_memory[0]!;
    // `llm.embed` is vocab x width = 260 x 32; `vision` is the ViT's whole count.
    const embed = 260 * 32;
    expect(pre.freeze).toEqual(["vision", "llm.embed"]);
    expect(pre.frozen).toBe(micro.params.vision + embed);
    expect(pre.trainable).toBe(micro.params.total - micro.params.vision - embed);
    expect(pre.weights).toBe(4 * micro.params.total);
    expect(pre.gradients).toBe(4 * pre.trainable);
    expect(pre.optimizer).toBe(8 * pre.trainable);
    const fine = moe.train_memory[0]!;
    expect(fine.frozen).toBe(moe.params.vision);
    expect(fine.trainable).toBe(moe.params.total - moe.params.vision);
    expect(fine.init).toEqual({ train: "pretrain", dir: "runs/pretrain", upcycled_layers: [1] });
    const text = mmc(["info", spec]);
    expect(text.stdout).toContain(
      `    trainable: ${pre.trainable.toLocaleString("en-US")} of ${micro.params.total.toLocaleString("en-US")} parameters; frozen: ${pre.frozen.toLocaleString("en-US")} (\`vision\`, \`llm.embed\`)`,
    );
  });
});

describe("two stages", () => {
  test("the later stage before the earlier one has run says which command to run first", () => {
    const r = run("--train", "finetune", "--steps", "2");
    expect(r.stderr).toBe(
      "error: `train finetune` starts from the weights of `train pretrain`, which has no checkpoint in `runs/pretrain` yet: run `mmc run stages.mm --train pretrain` first\n",
    );
    expect(r.status).toBe(1);
  });

  test("pre-training freezes what it says, and resumes with its frozen state", () => {
    const r = run("--train", "pretrain", "--steps", "2");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/frozen: vision, llm\.embed \([\d,]+ of [\d,]+ parameters/);
    const again = run("--train", "pretrain", "--resume");
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain("resuming from step 2");
    expect(again.stdout).toContain("finished at step 4/4");
  });

  test("the later stage starts from the newest checkpoint, resumes from its own after SIGTERM", async () => {
    const from = join(dir, "runs", "pretrain", "step-00000004.safetensors");
    const { code, output } = await runUntilStep(1);
    expect(output).toContain(
      "starting from the weights of `train pretrain` at step 4 (runs/pretrain/step-00000004.safetensors, sha256 ",
    );
    expect(output).toContain(
      "upcycling: the experts of the MoE layer 1 start as copies of `train pretrain`'s dense MLP there; the routers are initialised as usual",
    );
    expect(code).toBe(143);
    const saved = /checkpoint: step (\d+) -> runs\/finetune\//.exec(output);
    expect(saved, output).not.toBeNull();
    const metrics = join(dir, "runs", "finetune", "metrics.jsonl");
    const init = records(metrics).filter((r) => r["type"] === "init");
    expect(init).toEqual([
      {
        type: "init",
        train: "pretrain",
        checkpoint: from,
        sha256: createHash("sha256").update(metadataOf(from)).digest("hex"),
        checkpoint_step: 4,
        upcycled_layers: [1],
      },
    ]);
    // Resumed: from its own checkpoint, not from the earlier stage again.
    const r = run("--train", "finetune", "--resume", "--steps", String(Number(saved![1]) + 1));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`resuming from step ${saved![1]}`);
    expect(r.stdout).not.toContain("starting from the weights");
    expect(records(metrics).filter((x) => x["type"] === "init")).toHaveLength(1);
    // The frozen image encoder is bit for bit the earlier stage's; the trained embedding is not.
    const a = await readCheckpoint(from);
    const b = await readCheckpoint(
      join(
        dir,
        "runs",
        "finetune",
        `step-${String(Number(saved![1]) + 1).padStart(8, "0")}.safetensors`,
      ),
    );
    const vision = [...a.tensors.keys()].filter((k) => k.startsWith("param.vision."));
    expect(vision.length).toBeGreaterThan(5);
    for (const k of vision)
      expect(
        Buffer.from(b.tensors.get(k)!.data.buffer).equals(
          Buffer.from(a.tensors.get(k)!.data.buffer),
        ),
        k,
      ).toBe(true);
    const embedA = Buffer.from(a.tensors.get("param.llm.embed.weight")!.data.buffer);
    const embedB = Buffer.from(b.tensors.get("param.llm.embed.weight")!.data.buffer);
    expect(embedA.equals(embedB)).toBe(false);
  });
});

/** Runs `finetune` for 400 steps, sends SIGTERM once step `n` is logged, waits for the exit. */
async function runUntilStep(n: number): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    process.execPath,
    [MMC, "run", "stages.mm", "--backend", "cpu", "--train", "finetune", "--steps", "400"],
    { cwd: dir, env: { ...process.env, NO_COLOR: "1" } },
  );
  let out = "";
  const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  let sent = false;
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    // once: a second SIGTERM quits without a checkpoint
    if (!sent && new RegExp(`step ${n}/400`).test(out)) sent = child.kill("SIGTERM");
  });
  const code = await exit;
  return { code, output: out };
}
