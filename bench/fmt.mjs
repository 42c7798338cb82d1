// Formatter benchmark: time to format a generated 1,000-line spec (written untidily, with
// comments), split into parsing and the whole of formatSource (which parses the output again
// to check it), and the cold wall time of `mmc fmt --check` on examples/ and stdlib/.
// Run: npm run build && node bench/fmt.mjs
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { formatSource } = await import(join(root, "dist/format/format.js"));
const { parseText } = await import(join(root, "dist/syntax/parse.js"));

/** About 1,000 lines: models, mixtures and trains in a deliberately loose layout. */
function generate(lines) {
  const out = ['import { ViT } from "std/encoders"', 'import {Decoder,MoE} from "std/llm"', ""];
  for (let i = 0; out.length < lines; i++) {
    out.push(
      `/// Model number ${i}.`,
      `model M${i} {`,
      `    image:Image[3,64,64]      // ${i}: 64 px`,
      `  vision: ViT{patch:8,width:${64 + i},depth:2,heads:2}`,
      "  llm: Decoder {",
      `      vocab: 260, width: 128, depth: 2, heads: 2, mlp: swiglu(344),`,
      "    norm: rms, position: rope, context: 256,",
      `    moe: MoE { experts: 4, top_k: 2, every: 2, balance_loss: 0.01, z_loss: 0.001, capacity: 1.25, shared: 1 }`,
      "  }",
      "",
      "",
      "  budget { params <= 2M, image_tokens == 64 }",
      "}",
      `data D${i} {`,
      `  caption: 45% webdataset("data/c-${i}-{0000..0003}.tar")`,
      `  interleaved: 45% jsonl("data/i-${i}.jsonl") /* interleaved */`,
      `  text: 10% jsonl("data/t-${i}.jsonl", field: "text")`,
      "}",
      `train t${i} { model: M${i}, data: D${i}, steps: 100, batch: 8, optimizer: AdamW { lr: 3e-3, betas: [0.9, 0.95] } }`,
      "",
    );
  }
  return out.join("\n");
}

function median(fn, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const text = generate(1000);
const lineCount = text.split("\n").length;
const first = formatSource(text, "big.mm");
if (!first.ok) throw new Error("the generated spec does not parse");
const changed = first.text.split("\n").length;

for (let i = 0; i < 3; i++) formatSource(text, "big.mm"); // warm-up
const parseMs = median(() => parseText(text, "big.mm"), 15);
const formatMs = median(() => formatSource(text, "big.mm"), 15);
const tidyMs = median(() => formatSource(first.text, "big.mm"), 15);

const t = performance.now();
const cli = spawnSync(
  process.execPath,
  [join(root, "bin/mmc"), "fmt", "--check", "examples", "stdlib"],
  {
    cwd: root,
    encoding: "utf8",
  },
);
const cliMs = performance.now() - t;

console.log(
  `node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log(`spec: ${lineCount} lines in, ${changed} lines out (${text.length} characters)`);
console.log(`parse only:               ${parseMs.toFixed(1)} ms (median of 15)`);
console.log(
  `formatSource (untidy):    ${formatMs.toFixed(1)} ms (parse, print, re-parse and check)`,
);
console.log(`formatSource (formatted): ${tidyMs.toFixed(1)} ms`);
console.log(`mmc fmt --check examples stdlib, cold: ${cliMs.toFixed(0)} ms (exit ${cli.status})`);
