// Front-end benchmark: parse + resolve + check throughput on a generated spec of 10,000+ lines
// (wall and CPU time), heap kept per 1,000 lines, peak memory, the cold wall time of
// `mmc check examples/tiny.mm`, and time and peak RSS of `mmc check` on hostile inputs.
// Run: npm run build && node bench/frontend.mjs [--root DIR]   (DIR: another built mmc checkout,
// to compare before and after with the same inputs). On a busy machine, read the CPU figures.
import { spawnSync } from "node:child_process";
import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

const here = join(dirname(fileURLToPath(import.meta.url)), "..");
const rootArg = process.argv.indexOf("--root");
const root = rootArg > 0 ? process.argv[rootArg + 1] : here;
const { checkFile } = await import(join(root, "dist/pipeline.js"));
const { parseText } = await import(join(root, "dist/syntax/parse.js"));
const { fileHost } = await import(join(root, "dist/cli/host.js"));
const { resolveProgram } = await import(join(root, "dist/resolve/program.js"));
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");

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

/** Median wall and CPU milliseconds of `fn` over `runs` runs. */
function time(fn, runs) {
  const wall = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    fn();
    wall.push(performance.now() - t);
    const u = process.cpuUsage(c);
    cpu.push((u.user + u.system) / 1000);
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { wall: median(wall), cpu: median(cpu) };
}

let peak = 0;
const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
const timer = setInterval(sample, 5);
const parse = time(() => {
  const r = parseText(text, "big.mm");
  if (r.diagnostics.length) throw new Error(r.diagnostics[0].message);
}, 7);
const resolve = time(() => {
  const r = resolveProgram(file, fileHost);
  if (r.diagnostics.some((d) => d.severity === "error")) throw new Error(r.diagnostics[0].message);
}, 5);
const check = time(() => {
  const r = checkFile(file, fileHost);
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  if (errors.length) throw new Error(errors[0].message);
  sample();
}, 5);
clearInterval(timer);
sample();

// Heap the result of one check keeps, per 1,000 lines (what a language server would hold).
gc();
const before = process.memoryUsage().heapUsed;
const kept = checkFile(file, fileHost);
gc();
const heapPer1000 = (process.memoryUsage().heapUsed - before) / (lines / 1000) / 2 ** 20;
void kept;

const mmc = join(root, "bin/mmc");
/** Wall ms, peak RSS (MiB) and exit status of `mmc ARGS` in a fresh process. */
function run(args, timeout = 60_000) {
  const rss =
    'process.on("exit",()=>process.stderr.write("\\nMAXRSS "+process.resourceUsage().maxRSS+"\\n"))';
  const t = performance.now();
  const r = spawnSync(
    process.execPath,
    ["--import", `data:text/javascript,${encodeURIComponent(rss)}`, mmc, ...args],
    { encoding: "utf8", timeout, maxBuffer: 1 << 30 },
  );
  const ms = performance.now() - t;
  const kib = Number(/MAXRSS (\d+)/.exec(r.stderr ?? "")?.[1] ?? NaN);
  return { ms, mib: kib / 1024, status: r.status ?? (r.signal ? `killed (${r.signal})` : "?") };
}

const cold = [];
for (let i = 0; i < 9; i++) {
  const r = run(["check", join(root, "examples/tiny.mm")]);
  if (r.status !== 0) throw new Error(`mmc check examples/tiny.mm exited ${r.status}`);
  cold.push(r.ms);
}
cold.sort((a, b) => a - b);
const coldInfo = [];
for (let i = 0; i < 5; i++) coldInfo.push(run(["info", join(root, "examples/mm1-3b.mm")]).ms);
coldInfo.sort((a, b) => a - b);

const decoder = (fields) =>
  `import { Decoder } from "std/llm"\nmodel M { llm: Decoder { ${fields} } }\n`;
const hostile = {
  "1 MB line of repeated declarations": "model M { } ".repeat(90_000) + "\n",
  "1 MB of stray characters": "@ ".repeat(500_000),
  "300,000 direction overrides in a comment": `// ${"\u202e".repeat(300_000)}\n`,
  "`depth: 1000000`": decoder("depth: 1000000"),
  "`width: 1e308`": decoder("width: 1e308, heads: 1"),
  "100-digit `vocab`": decoder(`vocab: ${"9".repeat(100)}`),
  "5,000 unknown names": Array.from({ length: 5000 }, (_, i) => `model M${i} { llm: Nope }\n`).join(
    "",
  ),
  "20,000 stray tokens between declarations": Array.from(
    { length: 20_000 },
    (_, i) => `model M${i} { } 5\n`,
  ).join(""),
  "5,000 presets, each built on the last": `import { Decoder } from "std/llm"\nllm P0 = Decoder { width: 64, heads: 4 }\n${Array.from(
    { length: 5000 },
    (_, i) => `llm P${i + 1} = P${i} { }\n`,
  ).join("")}`,
};
const hostileRows = [];
for (const [name, body] of Object.entries(hostile)) {
  const p = join(dir, `${hostileRows.length}.mm`);
  writeFileSync(p, body);
  hostileRows.push([name, run(["check", p])]);
}
symlinkSync("/dev/zero", join(dir, "zero.mm"));
// Before it was refused, this read /dev/zero until memory ran out: a short timeout.
hostileRows.push(["a link to /dev/zero", run(["check", join(dir, "zero.mm")], 10_000)]);

const rate = (t) => Math.round(lines / (t / 1000)).toLocaleString("en-US");
const row = (label, t) =>
  `${label.padEnd(34)}${t.wall.toFixed(0).padStart(6)} ms wall (${rate(t.wall)} lines/s), ${t.cpu.toFixed(0).padStart(5)} ms CPU (${rate(t.cpu)} lines/s)`;
console.log(`mmc at ${root}`);
console.log(`spec: ${lines} lines, ${(text.length / 1024).toFixed(0)} KiB, 1200 models`);
console.log(row("parse (lex + parse + AST):", parse));
console.log(row("parse + resolve (all imports):", resolve));
console.log(row("parse + resolve + check:", check));
console.log(`heap kept by one check:           ${heapPer1000.toFixed(2)} MiB per 1,000 lines`);
console.log(`peak RSS during the runs:         ${(peak / 2 ** 20).toFixed(0)} MiB`);
console.log(
  `cold \`mmc check examples/tiny.mm\`: median ${cold[4].toFixed(0)} ms (min ${cold[0].toFixed(0)}, max ${cold[8].toFixed(0)}) over 9 runs`,
);
console.log(
  `cold \`mmc info examples/mm1-3b.mm\`: median ${coldInfo[2].toFixed(0)} ms over 5 runs`,
);
console.log("hostile inputs (`mmc check`, one run each):");
for (const [name, r] of hostileRows)
  console.log(
    `  ${name.padEnd(42)} ${r.ms.toFixed(0).padStart(6)} ms, peak RSS ${r.mib.toFixed(0).padStart(5)} MiB, exit ${r.status}`,
  );
