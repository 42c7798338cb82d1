// The corpus the TypeScript and Python data pipelines both read in test/pytorch: the synthetic
// corpus where examples/tiny.mm expects it, and hostile sources (broken JSON, paths out of the
// folder, damaged images, archives and gzip, every PNG form) written at test time.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync, gzipSync } from "node:zlib";
import jpeg from "jpeg-js";
import {
  encodePng,
  Prng,
  type DataSpec,
  type RgbaImage,
  type SourceSpec,
} from "../../src/runtime/data/index.js";
import {
  randomScene,
  renderScene,
  synthesize,
  writeTar,
} from "../../src/runtime/data-tools/index.js";
import { encodeWebp } from "../data/fixtures.js";
import { forgedJpeg, forgedPng, forgedWebp } from "../data/forged-images.js";
import { encodeVariantPng, pngChunk, type PngVariant } from "./png-variants.js";

/** A scene with per-pixel noise, so the images have texture and colour edges like photographs. */
export function noisy(seed: number, w: number, h: number): RgbaImage {
  const rng = Prng.fromSeed(seed);
  const scene = renderScene(randomScene(rng), Math.max(w, h));
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 4; c++) {
        const v = scene.data[(y * Math.max(w, h) + x) * 4 + c]!;
        data[(y * w + x) * 4 + c] =
          c === 3 ? 255 : Math.min(255, Math.max(0, v + rng.nextInt(61) - 30));
      }
    }
  }
  return { width: w, height: h, data };
}

function source(
  name: string,
  kind: SourceSpec["kind"],
  format: SourceSpec["format"],
  path: string,
  weight: number,
  field?: string,
): SourceSpec {
  return { name, kind, format, path, weight, ...(field ? { field } : {}) };
}

function spec(
  name: string,
  baseDir: string,
  sources: SourceSpec[],
  imagesPerSequence: number,
  seed: number,
): DataSpec {
  return {
    name,
    baseDir,
    sources,
    weighting: "samples",
    imagesPerSequence,
    tokenizer: { kind: "bytes" },
    seed,
  };
}

/** JSONL from objects, strings written as they are, and Buffers for bytes that are not UTF-8. */
const lines = (rows: unknown[]): Buffer =>
  Buffer.concat(
    rows.flatMap((r) => [
      Buffer.isBuffer(r) ? r : Buffer.from(typeof r === "string" ? r : JSON.stringify(r)),
      Buffer.from("\n"),
    ]),
  );

/** Every PNG form by name: colour types, depths, palettes, colour keys, interlacing. */
function pngVariants(): Record<string, Buffer> {
  const w = 21;
  const h = 13;
  const v = (x: number, y: number, c: number, max: number) =>
    (x * 37 + y * 11 + c * 101 + x * y) % (max + 1);
  const make = (
    colour: PngVariant["colour"],
    depth: PngVariant["depth"],
    extra: Partial<PngVariant> = {},
  ) =>
    encodeVariantPng({
      width: w,
      height: h,
      colour,
      depth,
      sample: (x, y, c) => v(x, y, c, 2 ** depth - 1),
      ...extra,
    });
  const palette: [number, number, number][] = Array.from({ length: 16 }, (_, i) => [
    i * 16,
    255 - i * 9,
    (i * 77) % 256,
  ]);
  const key = Buffer.alloc(6);
  key.writeUInt16BE(v(3, 0, 0, 255), 0);
  key.writeUInt16BE(v(3, 0, 1, 255), 2);
  key.writeUInt16BE(v(3, 0, 2, 255), 4);
  return {
    "gray1.png": make(0, 1),
    "gray2.png": make(0, 2),
    "gray4.png": make(0, 4),
    "gray8.png": make(0, 8),
    "gray16.png": make(0, 16),
    "gray8-key.png": make(0, 8, { trns: Buffer.from([0, v(2, 0, 0, 255)]) }),
    "gray4-key.png": make(0, 4, { trns: Buffer.from([0, 5]) }),
    "gray16-key.png": make(0, 16, {
      trns: Buffer.from([v(1, 1, 0, 65535) >> 8, v(1, 1, 0, 65535) & 255]),
    }),
    "rgb8-key.png": make(2, 8, { trns: key }),
    "la8.png": make(4, 8),
    "rgba8.png": make(6, 8),
    "palette4.png": make(3, 4, { palette, sample: (x, y) => (x + y) % 16 }),
    "palette2-alpha.png": make(3, 2, {
      palette,
      sample: (x, y) => (x * y) % 4,
      trns: Buffer.from([0, 128, 255]),
    }),
    "palette8.png": make(3, 8, { palette, sample: (x, y) => (x * 3 + y) % 16 }),
    "interlaced-rgb.png": make(2, 8, { interlace: true }),
    "interlaced-gray2.png": make(0, 2, { interlace: true }),
    "interlaced-palette.png": make(3, 4, {
      palette,
      sample: (x, y) => (x ^ y) % 16,
      interlace: true,
    }),
  };
}

/** PNGs pngjs refuses, each for its own reason, and what a lenient decoder would accept. */
function brokenPngs(good: Buffer): Record<string, Buffer> {
  // the IDAT's stored CRC (the data is intact): Pillow does not check it, pngjs does
  const badCrc = Buffer.from(good);
  badCrc[good.length - 13] = badCrc[good.length - 13]! ^ 0xff;
  const badDeflate = Buffer.from(good);
  badDeflate[45] = badDeflate[45]! ^ 0xff;
  const w = 4;
  const base = { width: w, height: 3, colour: 3 as const, depth: 8 as const, filters: [0] };
  return {
    "truncated.png": good.subarray(0, Math.floor(good.length * 0.7)),
    "bad-crc.png": badCrc,
    "bad-deflate.png": badDeflate,
    "trailing.png": Buffer.concat([good, Buffer.from("trailing bytes")]),
    "no-iend.png": good.subarray(0, good.length - 12),
    "bad-index.png": encodeVariantPng({ ...base, palette: [[1, 2, 3]], sample: (x) => x }),
    "bad-filter.png": (() => {
      const p = encodeVariantPng({ ...base, colour: 0, sample: () => 7 });
      // rebuild the IDAT with filter type 5 on the first row
      const raw = Buffer.from([5, 7, 7, 7, 7, 0, 7, 7, 7, 7, 0, 7, 7, 7, 7]);
      const start = p.indexOf("IDAT") - 4;
      return Buffer.concat([
        p.subarray(0, start),
        pngChunk("IDAT", deflateSync(raw)),
        p.subarray(-12),
      ]);
    })(),
    "unknown-critical.png": Buffer.concat([
      good.subarray(0, 33),
      pngChunk("ABCD", Buffer.from("x")),
      good.subarray(33),
    ]),
    "ancillary-text.png": Buffer.concat([
      good.subarray(0, 33),
      pngChunk("tEXt", Buffer.from("Comment\0fine")),
      good.subarray(33),
    ]),
    "huge-claim.png": forgedPng(20000, 20000),
    "not-an-image.png": Buffer.from("this is text, not a PNG"),
    "empty.png": Buffer.alloc(0),
  };
}

/** A valid PNG made `extra` bytes larger by a text chunk after its header. */
function padded(png: Buffer, extra: number): Buffer {
  return Buffer.concat([
    png.subarray(0, 33),
    pngChunk("tEXt", Buffer.alloc(extra, 0x41)),
    png.subarray(33),
  ]);
}

/** A VP8X WebP with the animation flag set (refused, not decoded). */
function animatedWebp(): Buffer {
  const file = forgedWebp(8, 8, "VP8X");
  file[20] = 0x02;
  return file;
}

export interface Corpus {
  root: string;
  /** examples/ with the synthetic corpus where tiny.mm names it. */
  examples: string;
  hostile: DataSpec;
  jpeg: DataSpec;
  jpegSubsampled: DataSpec;
  png16: DataSpec;
  gzip: DataSpec;
  /** Conversations: the synthetic instruction split, and a file of good and bad records. */
  chat: DataSpec;
  /** Pillow writes these JPEGs: the Python driver's `fixtures` job. */
  pillowJpegs: {
    path: string;
    rgba: string;
    width: number;
    height: number;
    quality: number;
    subsampling?: number;
    progressive?: boolean;
    gray?: boolean;
  }[];
}

export async function writeCorpus(root: string): Promise<Corpus> {
  const examples = join(root, "examples");
  await synthesize({ outDir: join(examples, "data/synth"), size: "small", seed: 0 });

  // --- hostile: captions, interleaved documents, shards and text, each with its failure cases
  const dir = join(root, "hostile");
  const img = join(dir, "img");
  mkdirSync(join(img, "folder.png"), { recursive: true });
  const good = encodePng(noisy(1, 64, 64));
  writeFileSync(join(root, "outside.png"), good);
  mkdirSync(join(root, "shared"));
  writeFileSync(join(root, "shared/ok.png"), encodePng(noisy(8, 30, 30))); // in `roots`
  symlinkSync("../../shared/ok.png", join(img, "link-to-root.png"));
  symlinkSync("../../outside.png", join(img, "link-out.png"));
  symlinkSync("loop.png", join(img, "loop.png"));
  const files: Record<string, Buffer> = {
    "good.png": good,
    "wide.png": encodePng(noisy(2, 150, 90)),
    "tall.png": encodePng(noisy(3, 10, 27)),
    "odd.png": encodePng(noisy(4, 34, 31)),
    "lossless.webp": await encodeWebp(noisy(5, 40, 40)),
    "lossy.webp": await encodeWebp(noisy(6, 48, 30), 70),
    "animated.webp": animatedWebp(),
    "sof3.jpg": forgedJpeg(8, 8, 0xc3),
    "big.png": padded(good, 40_000), // over the 30,000-byte file limit the test sets
    "\ufffd.png": encodePng(noisy(7, 20, 20)), // what a lone surrogate in a path names in Node
    ...pngVariants(),
    ...brokenPngs(good),
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(img, name), bytes);
  const caption = (image: string, text = `a picture called ${image}`) => ({
    image: `img/${image}`,
    caption: text,
  });
  writeFileSync(
    join(dir, "captions.jsonl"),
    lines([
      ...Object.keys(files).map((f) => caption(f)),
      caption("link-out.png"),
      caption("link-to-root.png"),
      { image: "../shared/ok.png", caption: "inside a declared root" },
      caption("loop.png"),
      caption("folder.png"),
      caption("missing.png"),
      { image: "../outside.png", caption: "climbs out" },
      { image: "/etc/hostname", caption: "absolute" },
      { image: "img/nul\u0000.png", caption: "a NUL byte" },
      { image: "img/\ud800.png", caption: "a lone surrogate: the file named U+FFFD" },
      { image: "img/\udcff-none.png", caption: "a lone surrogate, no such file" },
      { image: "https://example.com/a.png", caption: "a URL" },
      { image: "img/good.png", caption: "   " },
      { image: "img/good.png", caption: 42 },
      { image: "img/good.png", txt: "the txt field, with \ud800 a lone surrogate" },
      { image: "img/good.png", caption: null, text: "caption null, text used" },
      '{"image": "img/good.png", "caption": "broken json',
      '{"image": "img/good.png", "caption": NaN}',
      "\ufeff" + JSON.stringify(caption("good.png", "a byte order mark first")),
      "[1, 2, 3]",
      JSON.stringify(caption("good.png", "x".repeat(5000))),
      Buffer.concat([
        Buffer.from('{"image": "img/good.png", "caption": "invalid utf-8: '),
        Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xe2, 0x82]),
        Buffer.from('"}'),
      ]),
      JSON.stringify(caption("tall.png", "trailing spaces and a tab\t  ")) + "\r",
    ]),
  );

  const doc = (texts: (string | null)[], images: (string | null)[]) => ({ texts, images });
  writeFileSync(
    join(dir, "docs.jsonl"),
    lines([
      doc(
        ["two pictures:", null, "and", null, "done."],
        [null, "img/good.png", null, "img/odd.png", null],
      ),
      doc(
        ["three is over the pixel budget", null, null, null],
        [null, "img/good.png", "img/good.png", "img/good.png"],
      ),
      doc(["four images name too many"], ["img/a.png", "img/b.png", "img/c.png", "img/d.png"]),
      doc(
        ["a URL inside", null, "and a good one", null],
        [null, "https://x.org/i.png", null, "img/tall.png"],
      ),
      doc(["a broken image inside", null], [null, "img/truncated.png"]),
      doc([null, null], ["img/missing.png", ""]),
      { texts: "not a list", images: [] },
      doc(["text only, \u00e9 and \ud83d\ude00"], []),
      '{"texts": [',
    ]),
  );

  const pair = (key: string, png: Buffer, text: string) => [
    { name: `${key}.png`, data: png },
    { name: `${key}.txt`, data: Buffer.from(text) },
  ];
  const scene = (i: number) => encodePng(renderScene(randomScene(Prng.fromSeed(100 + i)), 64));
  writeFileSync(
    join(dir, "shard-0.tar"),
    writeTar([
      ...pair("000000", scene(0), "first"),
      ...pair("000001", scene(1), "second"),
      ...pair("000002", files["gray4.png"]!, "gray"),
      ...pair("000003", files["big.png"]!, "a member over the file limit, skipped unread"),
      ...pair("000004", padded(scene(17), 28_000), "x".repeat(28_000)), // over the sample limit
      ...pair(
        "000005",
        padded(scene(18), 9_000),
        "held, then given out early by the shuffle buffer",
      ),
    ]),
  );
  // pax names with non-ASCII characters (pax lengths count bytes)
  const paxName = (name: string) => {
    const tail = ` path=${name}\n`;
    let len = Buffer.byteLength(tail);
    len += String(len + String(len).length).length;
    return `${len}${tail}`;
  };
  const pax = (name: string) => {
    const t = writeTar([{ name: "PaxHeaders/x", data: Buffer.from(paxName(name)) }]).subarray(
      0,
      1024,
    );
    t[156] = "x".charCodeAt(0);
    t.fill(32, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += t[i]!;
    t.write(sum.toString(8).padStart(6, "0") + "\u0000 ", 148, "latin1");
    return t;
  };
  const paxShard = Buffer.concat([
    pax("café/échantillon-😀.png"),
    writeTar([{ name: "x.png", data: scene(2) }]).subarray(0, -1024),
    pax("café/échantillon-😀.txt"),
    writeTar([{ name: "x.txt", data: Buffer.from("a name in pax") }]),
  ]);
  writeFileSync(join(dir, "shard-1.tar"), paxShard);
  writeFileSync(
    join(dir, "shard-2.tar"),
    writeTar([
      { name: "a.png", data: scene(3) },
      { name: "a.json", data: Buffer.from('{"caption": "from json"}') },
      { name: "b.png", data: scene(4) },
      { name: "b.json", data: Buffer.from("{broken") },
      { name: "c.png", data: scene(5) },
      { name: "c.json", data: Buffer.from("null") },
      { name: "d.png", data: scene(6) },
      { name: "d.json", data: Buffer.from('{"other": 1}') },
      { name: "e.png", data: scene(7) },
      { name: "e.json", data: Buffer.from('"just a string"') },
      { name: "f.txt", data: Buffer.from("no image") },
      { name: "g.png", data: scene(8) },
      { name: "g.txt", data: Buffer.from("") },
      { name: "h.png", data: files["truncated.png"]! },
      { name: "h.txt", data: Buffer.from("broken image") },
      { name: "./dir/i.PNG", data: scene(9) },
      { name: "./dir/i.TXT", data: Buffer.from("upper-case extensions, ./ prefix") },
    ]),
  );
  const broken = writeTar([
    ...pair("k0", scene(10), "before the damage"),
    ...pair("k1", scene(11), "after the damage"),
  ]);
  broken[512 * 4 + 100] = broken[512 * 4 + 100]! ^ 0x55; // the third header's checksum fails
  writeFileSync(join(dir, "shard-3.tar"), broken);
  writeFileSync(
    join(dir, "shard-4.tar"),
    writeTar([
      ...pair("m0", scene(12), "fine"),
      ...["png", "txt", "json", "a", "b", "c"].map((ext) => ({
        name: `m1.${ext}`,
        data: ext === "png" ? scene(13) : Buffer.from("{}"),
      })),
      ...pair("m2", scene(14), "after the big sample"),
    ]),
  );
  const full = writeTar([...pair("t0", scene(15), "kept"), ...pair("t1", scene(16), "cut off")]);
  writeFileSync(join(dir, "shard-5.tar"), full.subarray(0, 512 * 5 + 100));

  // a GNU long name (type L) before each member, and a size in GNU base-256
  const fixTarChecksum = (t: Buffer, at: number) => {
    t.fill(32, at + 148, at + 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += t[at + i]!;
    t.write(sum.toString(8).padStart(6, "0") + "\u0000 ", at + 148, "latin1");
  };
  const longName = (name: string) => {
    const t = writeTar([{ name: "././@LongLink", data: Buffer.from(name + "\0") }]).subarray(
      0,
      -1024,
    );
    t[156] = "L".charCodeAt(0);
    fixTarChecksum(t, 0);
    return t;
  };
  const deep = "a/very/deep/folder/".repeat(8) + "sample";
  const base256 = writeTar([...pair("b256", scene(19), "a size in base-256")]);
  base256.fill(0, 124, 136);
  base256[124] = 0x80;
  base256.writeUInt32BE(scene(19).length, 132);
  fixTarChecksum(base256, 0);
  writeFileSync(
    join(dir, "shard-6.tar"),
    Buffer.concat([
      longName(`${deep}.png`),
      writeTar([{ name: "short.png", data: scene(20) }]).subarray(0, -1024),
      longName(`${deep}.txt`),
      writeTar([{ name: "short.txt", data: Buffer.from("a long GNU name") }]).subarray(0, -1024),
      base256,
    ]),
  );

  const texts = Array.from({ length: 40 }, (_, i) => ({
    text: `text line ${i}: ${"word ".repeat(i % 9)}`,
  }));
  writeFileSync(join(dir, "text.jsonl.gz"), gzipSync(lines(texts)));
  const cut = gzipSync(lines(texts.map((t) => ({ text: t.text.toUpperCase() }))));
  writeFileSync(join(dir, "cut.jsonl.gz"), cut.subarray(0, Math.floor(cut.length * 0.6)));
  writeFileSync(
    join(dir, "notes.txt"),
    Buffer.concat([
      Buffer.from(
        "First paragraph,\r\nsecond line.\r\n\r\n  \nSecond paragraph ends with bad bytes ",
      ),
      Buffer.from([0xc3, 0x28, 0xe2, 0x82, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98]),
      Buffer.from(
        "\n\nThird: é ü 日本 😀\n" + "a long line ".repeat(500) + "\nlast line without newline",
      ),
    ]),
  );
  writeFileSync(join(dir, "empty.jsonl"), lines(["{", { text: "   " }, { text: 7 }, "null"]));
  writeFileSync(
    join(dir, "nofield.jsonl"),
    lines([{ text: "the field is body" }, { body: "found it" }, { body: 3 }]),
  );

  const hostile: DataSpec = spec(
    "hostile",
    root,
    [
      source("captions", "caption", "jsonl", "hostile/captions.jsonl", 0.3),
      source("docs", "interleaved", "jsonl", "hostile/docs.jsonl", 0.2),
      source("shards", "caption", "webdataset", "hostile/shard-{0..7}.tar", 0.3),
      source("gz", "text", "jsonl", "hostile/{text,cut}.jsonl.gz", 0.1),
      source("notes", "text", "text", "hostile/notes.txt", 0.05),
      source("nofield", "text", "jsonl", "hostile/nofield.jsonl", 0.05, "body"),
      source("empty", "text", "jsonl", "hostile/empty.jsonl", 0.02), // no usable line: left out
      source("unused", "text", "jsonl", "hostile/text.jsonl.gz", 0), // weight 0: never drawn
    ],
    3,
    5,
  );
  hostile.roots = ["shared"];

  // --- JPEG: jpeg-js writes 4:4:4 baseline; Pillow writes subsampled, progressive and gray
  const jdir = join(root, "jpeg");
  mkdirSync(jdir, { recursive: true });
  const pillowJpegs: Corpus["pillowJpegs"] = [];
  const rows444: unknown[] = [];
  const rowsSub: unknown[] = [];
  for (let i = 0; i < 6; i++) {
    const image = noisy(20 + i, 64, 64);
    writeFileSync(
      join(jdir, `js-${i}.jpg`),
      jpeg.encode({ ...image, data: Buffer.from(image.data) }, 85).data,
    );
    rows444.push({ image: `js-${i}.jpg`, caption: `jpeg-js ${i}` });
    const rgba = join(jdir, `raw-${i}.rgba`);
    writeFileSync(rgba, image.data);
    for (const [name, options] of [
      [`pil444-${i}.jpg`, { subsampling: 0 }],
      [`pil420-${i}.jpg`, { subsampling: 2 }],
      [`pil422-${i}.jpg`, { subsampling: 1 }],
      [`prog-${i}.jpg`, { progressive: true }],
      [`gray-${i}.jpg`, { gray: true }],
    ] as const) {
      pillowJpegs.push({
        path: join(jdir, name),
        rgba,
        width: 64,
        height: 64,
        quality: 80 + i,
        ...options,
      });
      (name.startsWith("pil444") || name.startsWith("gray") ? rows444 : rowsSub).push({
        image: name,
        caption: name,
      });
    }
  }
  const wide = noisy(30, 120, 72);
  writeFileSync(join(jdir, "wide-raw.rgba"), wide.data);
  pillowJpegs.push({
    path: join(jdir, "wide.jpg"),
    rgba: join(jdir, "wide-raw.rgba"),
    width: 120,
    height: 72,
    quality: 90,
  });
  rowsSub.push({ image: "wide.jpg", caption: "resized" });
  writeFileSync(
    join(jdir, "cut.jpg"),
    jpeg.encode({ ...wide, data: Buffer.from(wide.data) }, 80).data.subarray(0, 900),
  );
  rows444.push({ image: "cut.jpg", caption: "truncated jpeg" });
  writeFileSync(join(jdir, "444.jsonl"), lines(rows444));
  writeFileSync(join(jdir, "sub.jsonl"), lines(rowsSub));
  const jpegSpec = (path: string) =>
    spec("jpeg", jdir, [source("jpeg", "caption", "jsonl", path, 1)], 2, 3);

  // --- 16-bit colour PNGs: Pillow keeps the high byte where pngjs rounds (at most 1 level)
  const pdir = join(root, "png16");
  mkdirSync(pdir, { recursive: true });
  const s16 = (x: number, y: number, c: number) => (x * 2039 + y * 7919 + c * 30011) % 65536;
  const rows16 = (["rgb16", "rgba16", "la16"] as const).map((name, i) => {
    const colour = ([2, 6, 4] as const)[i]!;
    writeFileSync(
      join(pdir, `${name}.png`),
      encodeVariantPng({ width: 24, height: 24, colour, depth: 16, sample: s16 }),
    );
    return { image: `${name}.png`, caption: name };
  });
  writeFileSync(join(pdir, "captions.jsonl"), lines(rows16));

  // --- gzip damaged in every way Node's gunzip meets, each file past one 16 KiB output round
  const gdir = join(root, "gzip");
  mkdirSync(gdir, { recursive: true });
  const grng = Prng.fromSeed(11);
  const body = (tag: string) =>
    lines(Array.from({ length: 200 }, (_, i) => ({ text: `${tag} ${i}: ${Array.from({ length: 12 }, () => grng.nextUint32().toString(36)).join(" ")}` }))); // prettier-ignore
  const flip = (b: Buffer, at: number) => {
    const out = Buffer.from(b);
    out[at] = out[at]! ^ 0x5a;
    return out;
  };
  const gz = (tag: string) => gzipSync(body(tag));
  const damaged: Record<string, Buffer> = {
    "plain.jsonl.gz": gz("plain"),
    "multi.jsonl.gz": Buffer.concat([gz("first"), gz("second")]),
    "zeros.jsonl.gz": Buffer.concat([gz("zeros"), Buffer.alloc(64)]),
    "junk.jsonl.gz": Buffer.concat([gz("junk"), Buffer.from("trailing junk")]),
    "crc.jsonl.gz": (() => { const b = gz("crc"); return flip(b, b.length - 6); })(), // prettier-ignore
    "middle.jsonl.gz": (() => { const b = gz("middle"); return flip(b, b.length >> 1); })(), // prettier-ignore
    "cut.jsonl.gz": (() => { const b = gz("cut"); return b.subarray(0, Math.floor(b.length * 0.6)); })(), // prettier-ignore
    "empty.jsonl.gz": Buffer.alloc(0),
  };
  for (const [name, bytes] of Object.entries(damaged)) writeFileSync(join(gdir, name), bytes);
  const gzipPath = `{${Object.keys(damaged)
    .map((n) => n.replace(".jsonl.gz", ""))
    .join(",")}}.jsonl.gz`;

  // --- conversations: each rule of docs/data.md "Conversations", kept and broken
  const cdir = join(root, "chat");
  mkdirSync(cdir);
  writeFileSync(join(cdir, "red.png"), encodePng(noisy(11, 40, 40)));
  writeFileSync(join(cdir, "blue.png"), encodePng(noisy(12, 24, 36)));
  writeFileSync(join(cdir, "broken.png"), good.subarray(0, 60));
  const t = (from: string, value: string) => ({ from, value });
  const qa = [t("human", "<image>\nWhat is it?"), t("gpt", "Noise.")];
  writeFileSync(
    join(cdir, "chat.jsonl"),
    lines([
      { id: 1, image: "red.png", conversations: qa },
      { conversations: [t("human", "Say it."), t("gpt", "x".repeat(150)), t("human", "Again?"), t("gpt", "Yes.")] }, // prettier-ignore
      { images: ["red.png", "blue.png"], conversations: [t("human", "Compare."), t("gpt", "Two.")] }, // prettier-ignore
      { images: ["red.png", "blue.png"], messages: [{ role: "user", content: "<image> and <image>?" }, { role: "assistant", content: "Both." }] }, // prettier-ignore
      { conversations: null, messages: [t("user", "é 😀 \ud800?"), t("assistant", "日本 \u2028.")] }, // prettier-ignore
      { image: "gone.png", conversations: qa },
      { image: "broken.png", conversations: qa },
      { image: "https://example.com/a.png", conversations: qa },
      { image: "../outside.png", conversations: qa },
      "{not json",
      { image: null, conversations: qa },
      { images: ["red.png", 3], conversations: qa },
      { image: "red.png" },
      { conversations: [] },
      { conversations: [t("gpt", "first"), t("human", "second")] },
      { conversations: [t("system", "be brief"), t("gpt", "ok")] },
      { conversations: [t("human", "q"), t("gpt", " \t ")] },
      { conversations: [t("human", "q"), t("gpt", "a"), t("human", "dangling")] },
      { image: "red.png", conversations: [t("human", "<image><image>"), t("gpt", "a")] },
      { image: "red.png", conversations: [t("human", "q"), t("gpt", "<image>")] },
      { conversations: [{ from: "human", value: 3 }, t("gpt", "a")] },
      { images: ["red.png", "red.png", "red.png", "red.png"], conversations: qa }, // over 3
    ]),
  );
  const chat = spec(
    "chat",
    root,
    [
      source("instruct", "conversation", "jsonl", "examples/data/synth/instruct.jsonl", 0.6),
      source("hostile", "conversation", "jsonl", "chat/chat.jsonl", 0.3),
      source("text", "text", "jsonl", "examples/data/synth/text.jsonl", 0.1, "text"),
    ],
    2,
    9,
  );

  return {
    root,
    examples,
    hostile,
    chat,
    jpeg: jpegSpec("444.jsonl"),
    jpegSubsampled: jpegSpec("sub.jsonl"),
    png16: spec("png16", pdir, [source("png16", "caption", "jsonl", "captions.jsonl", 1)], 2, 4),
    gzip: spec("gzip", gdir, [source("gz", "text", "jsonl", gzipPath, 1)], 0, 6),
    pillowJpegs,
  };
}
