// Compile-time scaling: `mmc compile` and `mmc check` wall time on specs of 50 to 1000 trivial
// model variants (one base model, a data mixture and a train), to show compile stays linear.
// Run: npm run build && node bench/compile-scale.mjs [N ...]
// MMC=path/to/bin/mmc times another build; LIMIT_S (default 300) caps each run.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const mmc = process.env.MMC ?? join(root, "bin", "mmc");
const sizes = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), "mmc-compile-scale-"));

function spec(variants) {
  const out = [
    'import { Decoder } from "std/llm"',
    "",
    "/// The base every variant overrides.",
    "model Base { llm: Decoder { vocab: 260, width: 32, depth: 1, heads: 2, context: 64 } }",
  ];
  for (let i = 1; i <= variants; i++)
    out.push(`/// Variant ${i}.`, `model V${i} = Base { llm.depth: ${1 + (i % 4)} }`);
  out.push(
    'data Text { text: 100% jsonl("data/text.jsonl", field: "text") }',
    "train base { model: Base, data: Text, steps: 10, batch: 2, sequence: 32 }",
  );
  return `${out.join("\n")}\n`;
}

// A run past the limit is reported as `>LIMIT` (the quadratic compile took minutes at 500).
const limit = Number(process.env.LIMIT_S ?? 300);

function time(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [mmc, ...args], {
    encoding: "utf8",
    timeout: limit * 1000,
  });
  const s = (performance.now() - t0) / 1000;
  if (r.error?.code === "ETIMEDOUT") return `>${limit}`;
  if (r.status !== 0) throw new Error(`mmc ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return s.toFixed(2);
}

console.log(`mmc: ${mmc}`);
console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log("variants  check s  compile s  compile s per 100 variants");
for (const n of sizes.length ? sizes : [50, 250, 500, 1000]) {
  const file = join(dir, `variants-${n}.mm`);
  writeFileSync(file, spec(n));
  const check = time(["check", file]);
  const compile = time(["compile", file, "-o", join(dir, `out-${n}`)]);
  const per = Number.isFinite(Number(compile)) ? ((Number(compile) / n) * 100).toFixed(2) : "-";
  console.log(
    `${String(n).padStart(8)}  ${check.padStart(7)}  ${compile.padStart(9)}  ${per.padStart(9)}`,
  );
}
console.log(
  `load average at end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
