// Front-end benchmark: parse + resolve + check throughput on a generated spec of 10,000+ lines,
// peak memory, and the cold wall time of `mmc check examples/tiny.mm`.
// Run: npm run build && node bench/frontend.mjs
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { checkFile } = await import(join(root, "dist/pipeline.js"));
const { parseText } = await import(join(root, "dist/syntax/parse.js"));
const { fileHost } = await import(join(root, "dist/cli/host.js"));
const { resolveProgram } = await import(join(root, "dist/resolve/program.js"));

function generate(models) {
  const out = [
    'import { ViT } from "std/encoders"',
    'import { CAbstractor, AvgPool } from "std/connectors"',
    'import { Decoder, MoE } from "std/llm"',
    "",
  ];
  for (let i = 0; i < models; i++) {
    out.push(
      `/// Model number ${i}.`,
      `encoder Enc${i} = ViT { patch: ${[8, 16, 14][i % 3]}, width: ${128 + 64 * (i % 4)}, depth: ${2 + (i % 6)}, heads: 4 }`,
      `model M${i} {`,
      `  image: Image[3, ${[64, 128, 112][i % 3]}, ${[64, 128, 112][i % 3]}]   // a comment`,
      `  vision: Enc${i}`,
      `  connector: ${i % 2 ? "CAbstractor" : "AvgPool"} { tokens: 16 }`,
      "  llm: Decoder {",
      `    vocab: 512, width: ${256 + 128 * (i % 3)}, depth: ${2 + (i % 5)}, heads: 8, kv_heads: 4,`,
      "    mlp: swiglu(688), norm: rms, position: rope, context: 1024,",
      `    moe: MoE { experts: ${4 + (i % 4)}, top_k: 2, every: 2 }`,
      "  }",
      "  budget {",
      "    params <= 2B",
      "    image_tokens == 16",
      "  }",
      "}",
      `model V${i} = M${i} { connector.tokens: 4, budget { image_tokens == 4 } }`,
      "",
    );
  }
  return out.join("\n");
}

const text = generate(600);
const lines = text.split("\n").length;
const dir = mkdtempSync(join(tmpdir(), "mmc-bench-"));
const file = join(dir, "big.mm");
writeFileSync(file, text);

function time(fn, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

let peak = 0;
const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
const timer = setInterval(sample, 5);
const parseMs = time(() => {
  const r = parseText(text, "big.mm");
  if (r.diagnostics.length) throw new Error(r.diagnostics[0].message);
}, 7);
const resolveMs = time(() => {
  const r = resolveProgram(file, fileHost);
  if (r.diagnostics.some((d) => d.severity === "error")) throw new Error(r.diagnostics[0].message);
}, 5);
const checkMs = time(() => {
  const r = checkFile(file, fileHost);
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  if (errors.length) throw new Error(errors[0].message);
  sample();
}, 5);
clearInterval(timer);
sample();

const cold = [];
for (let i = 0; i < 9; i++) {
  const t = performance.now();
  const r = spawnSync(
    process.execPath,
    [join(root, "bin/mmc"), "check", join(root, "examples/tiny.mm")],
    { encoding: "utf8" },
  );
  cold.push(performance.now() - t);
  if (r.status !== 0) throw new Error(r.stderr);
}
cold.sort((a, b) => a - b);
const coldInfo = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  spawnSync(process.execPath, [join(root, "bin/mmc"), "info", join(root, "examples/mm1-3b.mm")], {
    encoding: "utf8",
  });
  coldInfo.push(performance.now() - t);
}
coldInfo.sort((a, b) => a - b);

console.log(`spec: ${lines} lines, ${(text.length / 1024).toFixed(0)} KiB, 1200 models`);
console.log(
  `parse (lex + parse + AST):        ${parseMs.toFixed(1)} ms  -> ${Math.round(lines / (parseMs / 1000)).toLocaleString("en-US")} lines/s`,
);
console.log(
  `parse + resolve (all imports):    ${resolveMs.toFixed(1)} ms  -> ${Math.round(lines / (resolveMs / 1000)).toLocaleString("en-US")} lines/s`,
);
console.log(
  `parse + resolve + check:          ${checkMs.toFixed(1)} ms  -> ${Math.round(lines / (checkMs / 1000)).toLocaleString("en-US")} lines/s`,
);
console.log(`peak RSS during the runs:         ${(peak / 2 ** 20).toFixed(0)} MiB`);
console.log(
  `cold \`mmc check examples/tiny.mm\`: median ${cold[4].toFixed(0)} ms (min ${cold[0].toFixed(0)}, max ${cold[8].toFixed(0)}) over 9 runs`,
);
console.log(
  `cold \`mmc info examples/mm1-3b.mm\`: median ${coldInfo[2].toFixed(0)} ms over 5 runs`,
);
