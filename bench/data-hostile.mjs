// Hostile data inputs: how long the data pipeline takes to refuse each one, and its peak memory.
// Each case runs in its own process, watched for peak RSS (VmHWM) and killed past 10 s or 3 GiB.
// Run after `npm run build`: node bench/data-hostile.mjs [--only NAME]
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";

const TIMEOUT_MS = 10_000;
const RSS_CAP = 3 * 2 ** 30;
const here = fileURLToPath(import.meta.url);

// --- forged files (the same constructions as test/data/forged-images.ts) -----------------------

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG whose IHDR claims w x h RGBA with a tiny IDAT: 69 bytes for 20000 x 20000. */
function forgedPng(w, h) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const idat = Buffer.from([0x78, 0x9c, 0x63, 0x60, 0x60, 0x60, 0, 0, 0, 4, 0, 1]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", idat),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A baseline JPEG frame header claiming w x h, three components, then EOI. */
function forgedJpeg(w, h) {
  const sof = Buffer.from([0xff, 0xc0, 0, 17, 8, h >> 8, h & 255, w >> 8, w & 255, 3]);
  const comps = Buffer.from([1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), sof, comps, Buffer.from([0xff, 0xd9])]);
}

/** An extended WebP (VP8X) whose canvas claims w x h. */
function forgedWebp(w, h) {
  const body = Buffer.alloc(10);
  body.writeUIntLE(w - 1, 4, 3);
  body.writeUIntLE(h - 1, 7, 3);
  const vp8x = Buffer.concat([Buffer.from("VP8X"), Buffer.from([10, 0, 0, 0]), body]);
  const riff = Buffer.alloc(8);
  riff.write("RIFF", 0, "latin1");
  riff.writeUInt32LE(4 + vp8x.length, 4);
  return Buffer.concat([riff, Buffer.from("WEBP"), vp8x]);
}

function tar(files) {
  const parts = [];
  for (const f of files) {
    const h = Buffer.alloc(512);
    h.write(f.name, 0, "utf8");
    h.write("0000644\0", 100, "latin1");
    h.write(`${f.data.length.toString(8).padStart(11, "0")}\0`, 124, "latin1");
    h.fill(32, 148, 156);
    h[156] = 48;
    h.write("ustar\u000000", 257, "latin1");
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += h[i];
    h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
    parts.push(h, f.data, Buffer.alloc((512 - (f.data.length % 512)) % 512));
  }
  return Buffer.concat([...parts, Buffer.alloc(1024)]);
}

// --- cases ----------------------------------------------------------------------------------

function caption(image) {
  return { kind: "caption", format: "jsonl", path: "caption.jsonl", line: { image, caption: "x" } };
}

const CASES = {
  "a good 8x8 png (reference)": caption("good.png"),
  "/dev/zero": caption("/dev/zero"),
  "/etc/passwd": caption("/etc/passwd"),
  "../../etc/passwd": caption("../../../../../../etc/passwd"),
  fifo: caption("fifo.png"),
  "symlink loop": caption("loop.png"),
  "symlink outside": caption("outside.png"),
  directory: caption("folder"),
  "png 20000x20000 (69 B)": caption("forged.png"),
  "jpeg 60000x60000": caption("forged.jpg"),
  "webp 16384x16384": caption("forged.webp"),
  "shard of 4 forged png": { kind: "caption", format: "webdataset", path: "forged.tar" },
  "jsonl line of 512 MiB": { kind: "text", format: "jsonl", path: "long.jsonl" },
  "source is a fifo": { kind: "text", format: "jsonl", path: "fifo.png" },
};

async function setUp(dir) {
  const { encodePng } = await import("../dist/runtime/data/index.js");
  writeFileSync(
    join(dir, "good.png"),
    encodePng({ width: 8, height: 8, data: new Uint8Array(256) }),
  );
  execFileSync("mkfifo", [join(dir, "fifo.png")]);
  symlinkSync("loop.png", join(dir, "loop.png"));
  symlinkSync("/etc/passwd", join(dir, "outside.png"));
  mkdirSync(join(dir, "folder"));
  writeFileSync(join(dir, "forged.png"), forgedPng(20000, 20000));
  writeFileSync(join(dir, "forged.jpg"), forgedJpeg(60000, 60000));
  writeFileSync(join(dir, "forged.webp"), forgedWebp(16384, 16384));
  const entries = [];
  for (let i = 0; i < 4; i++) {
    entries.push({ name: `00${i}.png`, data: forgedPng(20000, 20000) });
    entries.push({ name: `00${i}.txt`, data: Buffer.from("forged") });
  }
  writeFileSync(join(dir, "forged.tar"), tar(entries));
  const long = Buffer.alloc(512 * 2 ** 20, 0x61);
  long.write('{"text": "', 0, "latin1");
  writeFileSync(join(dir, "long.jsonl"), long);
}

async function child(name, dir) {
  const { openDataStream } = await import("../dist/runtime/data/index.js");
  const c = CASES[name];
  if (c.line) writeFileSync(join(dir, c.path), `${JSON.stringify(c.line)}\n`);
  const spec = {
    name: "hostile",
    baseDir: dir,
    sources: [{ name: c.kind, kind: c.kind, format: c.format, path: c.path, weight: 1 }],
    weighting: "samples",
    imagesPerSequence: 4,
    tokenizer: { kind: "bytes" },
    seed: 0,
  };
  const issues = [];
  const stream = openDataStream(spec, {
    sequence: 64,
    imageTokens: 4,
    shuffleBuffer: 0,
    onWarning: (i) => issues.push(`${i.code}: ${i.message}`),
  });
  const start = performance.now();
  let end = "";
  try {
    await stream.nextSequence();
    end = "a sequence";
  } catch (e) {
    end = e.name;
  }
  const ms = performance.now() - start;
  await stream.close();
  process.stdout.write(JSON.stringify({ ms, end, issues }));
}

function peakRss(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function runCase(name, dir) {
  const proc = spawn(process.execPath, [here, "--child", name, dir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  proc.stdout.on("data", (d) => (out += d));
  let peak = 0;
  let killed = "";
  const started = performance.now();
  const timer = setInterval(() => {
    peak = Math.max(peak, peakRss(proc.pid));
    if (peak > RSS_CAP) killed = `killed at ${(RSS_CAP / 2 ** 30).toFixed(0)} GiB`;
    else if (performance.now() - started > TIMEOUT_MS)
      killed = `killed after ${TIMEOUT_MS / 1000} s`;
    if (killed) proc.kill("SIGKILL");
  }, 20);
  await new Promise((r) => proc.on("exit", r));
  clearInterval(timer);
  if (killed) return { name, result: killed, ms: performance.now() - started, peak };
  const r = JSON.parse(out);
  const refusals = r.issues.filter((i) => !/^(repeated|empty)-source/.test(i));
  const issue = refusals[0] ?? r.issues[0] ?? `(no issue; ${r.end})`;
  const more = refusals.length > 1 ? ` (${refusals.length} reports)` : "";
  return { name, result: `${issue.slice(0, 100)}${more}`, ms: r.ms, peak };
}

if (process.argv[2] === "--child") {
  await child(process.argv[3], process.argv[4]);
} else {
  const only = process.argv.includes("--only")
    ? process.argv[process.argv.indexOf("--only") + 1]
    : undefined;
  const dir = mkdtempSync(join(tmpdir(), "mmc-hostile-"));
  try {
    await setUp(dir);
    console.log(
      `node ${process.version}; each case in a fresh process; peak RSS includes Node itself`,
    );
    console.log("case                      time to refuse   peak RSS   first report");
    for (const name of Object.keys(CASES)) {
      if (only && name !== only) continue;
      const r = await runCase(name, dir);
      const time = r.ms < 1000 ? `${r.ms.toFixed(1)} ms` : `${(r.ms / 1000).toFixed(1)} s`;
      console.log(
        `${name.padEnd(25)} ${time.padStart(14)} ${`${(r.peak / 2 ** 20).toFixed(0)} MiB`.padStart(10)}   ${r.result}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
