// Language-server benchmark: a keystroke in a 1,000-line spec -> diagnostics published, timed
// from the client's side of the protocol (bin/mmc lsp over stdio, as an editor runs it). Prints
// the median and p95 for isolated keystrokes, the delay after the last key of a burst typed at
// 30 ms intervals, the server's CPU time per keystroke, and the in-process stages for the same
// text (parse, resolve, check; repeated on one text, so the checker's memo of parts is warm).
// Also: keystrokes that change the text's length (every later declaration moves).
// Run: npm run build && node bench/lsp.mjs [--keys N]
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const rpc = require("vscode-languageserver-protocol/node");
const keys = Number(process.argv[process.argv.indexOf("--keys") + 1]) || 40;

/** About 1,000 lines: 60 models with presets, variants and budgets, a mixture and trains. */
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

const text = generate(56);
const lines = text.split("\n").length;
const dir = mkdtempSync(join(tmpdir(), "mmc-bench-lsp-"));
const file = join(dir, "big.mm");
writeFileSync(file, text);
const uri = pathToFileURL(file).href;

const server = spawn(process.execPath, [join(root, "bin", "mmc"), "lsp", "--stdio"], {
  stdio: ["pipe", "pipe", "inherit"],
});
const conn = rpc.createProtocolConnection(
  new rpc.StreamMessageReader(server.stdout),
  new rpc.StreamMessageWriter(server.stdin),
);
const waiting = new Map();
conn.onNotification(rpc.PublishDiagnosticsNotification.type, (p) => {
  if (p.uri !== uri) return;
  const w = waiting.get(p.version);
  if (w) {
    waiting.delete(p.version);
    w({ at: performance.now(), count: p.diagnostics.length });
  }
});
conn.listen();
await conn.sendRequest(rpc.InitializeRequest.type, {
  processId: process.pid,
  rootUri: pathToFileURL(dir).href,
  capabilities: {},
});
await conn.sendNotification(rpc.InitializedNotification.type, {});

const published = (version) => new Promise((resolve) => waiting.set(version, resolve));
let version = 1;
let t = performance.now();
let first = published(1);
await conn.sendNotification(rpc.DidOpenTextDocumentNotification.type, {
  textDocument: { uri, languageId: "mm", version, text },
});
const opened = await first;
const openMs = opened.at - t;
if (opened.count !== 0) throw new Error(`the generated spec has ${opened.count} diagnostics`);

// A keystroke: the first model's vocabulary changes to a number not seen before (`vocab: 512`
// -> `vocab: 601`, 602, ...), an incremental change as an editor sends it; the file stays valid,
// so the whole check runs, and the changed part is never one the server has counted already.
const at = text.indexOf("vocab: 512") + "vocab: ".length;
const before = text.slice(0, at);
const line = before.split("\n").length - 1;
const character = at - (before.lastIndexOf("\n") + 1);
const keystroke = (n) => {
  version++;
  const done = published(version);
  const sent = performance.now();
  void conn.sendNotification(rpc.DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version },
    contentChanges: [
      {
        range: { start: { line, character }, end: { line, character: character + 3 } },
        text: String(600 + (n % 400)),
      },
    ],
  });
  return done.then((p) => p.at - sent);
};
/** CPU milliseconds the server has used (Linux /proc; undefined elsewhere). */
const serverCpuMs = () => {
  try {
    const fields = readFileSync(`/proc/${server.pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, 100 Hz ticks
  } catch {
    return undefined;
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const isolated = [];
const cpuBefore = serverCpuMs();
for (let i = 0; i < keys; i++) {
  isolated.push(await keystroke(i + 1));
  await sleep(150);
}
const cpuAfter = serverCpuMs();
const cpuPerKey =
  cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / keys;

// Typing that changes the length of the text: a digit typed after the first model's vocabulary,
// then deleted (`vocab: 512` -> `5127` -> `512`), so every declaration after it moves.
const typed = [];
const cpuTypingBefore = serverCpuMs();
for (let i = 0; i < keys; i++) {
  version++;
  const done = published(version);
  const sent = performance.now();
  const end = character + 3;
  void conn.sendNotification(rpc.DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version },
    contentChanges: [
      i % 2 === 0
        ? { range: { start: { line, character: end }, end: { line, character: end } }, text: "7" }
        : {
            range: { start: { line, character: end }, end: { line, character: end + 1 } },
            text: "",
          },
    ],
  });
  typed.push(await done.then((p) => p.at - sent));
  await sleep(150);
}
const cpuTypingAfter = serverCpuMs();
const cpuPerTyped =
  cpuTypingBefore === undefined || cpuTypingAfter === undefined
    ? undefined
    : (cpuTypingAfter - cpuTypingBefore) / keys;

// A burst: 20 keys 30 ms apart; the time from the last key to its diagnostics.
const bursts = [];
for (let b = 0; b < 5; b++) {
  let last;
  for (let i = 0; i < 20; i++) {
    last = keystroke(keys + 20 * b + i + 1);
    await sleep(30);
  }
  const sentLast = performance.now() - 30;
  await last;
  bursts.push(performance.now() - sentLast);
  await sleep(300);
}

await conn.sendRequest(rpc.ShutdownRequest.type);
await conn.sendNotification(rpc.ExitNotification.type);
conn.dispose();

// In process, the same text through the stages (dist/ from `npm run build`).
const { parseText } = await import(join(root, "dist/syntax/parse.js"));
const { resolveProgram } = await import(join(root, "dist/resolve/program.js"));
const { checkProgram } = await import(join(root, "dist/check/check.js"));
const { fileHost } = await import(join(root, "dist/cli/host.js"));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];
const timeIt = (fn, runs = 15) =>
  median(
    Array.from({ length: runs }, () => ((t = performance.now()), fn(), performance.now() - t)),
  );
const parseMs = timeIt(() => parseText(text, file));
const resolveMs = timeIt(() => resolveProgram(file, fileHost));
const program = resolveProgram(file, fileHost).program;
const checkMs = timeIt(() => checkProgram(program));
rmSync(dir, { recursive: true, force: true });

const ms = (x) => `${x.toFixed(1)} ms`;
console.log(
  `spec: ${lines} lines, ${(text.length / 1024).toFixed(0)} KiB; machine load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
console.log(`open -> first diagnostics:                 ${ms(openMs)}`);
console.log(
  `keystroke -> diagnostics (isolated, n=${keys}): median ${ms(median(isolated))}, p95 ${ms(p95(isolated))}, min ${ms(Math.min(...isolated))}`,
);
if (cpuPerKey !== undefined)
  console.log(
    `server CPU per isolated keystroke:         ${ms(cpuPerKey)} (user + system, from /proc; less load-dependent than wall time)`,
  );
console.log(
  `typing (a digit in, then out; n=${keys}):     median ${ms(median(typed))}, p95 ${ms(p95(typed))}, min ${ms(Math.min(...typed))}${cpuPerTyped === undefined ? "" : `; server CPU ${ms(cpuPerTyped)} per keystroke`}`,
);
console.log(
  `last key of a 30 ms burst -> diagnostics:  median ${ms(median(bursts))} over ${bursts.length} bursts of 20 keys`,
);
console.log(
  `in process: parse ${ms(parseMs)}, parse + resolve (with imports) ${ms(resolveMs)}, check ${ms(checkMs)} -> ${Math.round(lines / ((resolveMs + checkMs) / 1000)).toLocaleString("en-US")} lines/s`,
);
