// Paths that data files name stay inside the naming file's folder (or a declared root) and must be
// regular files: devices, FIFOs, sockets, directories, symlink loops and links out are bad samples,
// named and skipped (or errors in strict mode), without being opened or read.
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataError, openDataStream, renderIssue } from "../../src/runtime/data/index.js";
import { inspect, renderInspect, writeTar } from "../../src/runtime/data-tools/index.js";
import { oneSource, readOnePass, solidPng, tempDir, writeJsonl } from "./fixtures.js";

const posixOnly = process.platform === "win32" ? it.skip : it;
const dir = tempDir();
const data = join(dir, "data");
const outside = join(dir, "elsewhere");
let server: Server | undefined;

beforeAll(async () => {
  mkdirSync(join(data, "img"), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(data, "img/good.png"), solidPng([0, 200, 0]));
  writeFileSync(join(outside, "far.png"), solidPng([200, 0, 0]));
  mkdirSync(join(data, "folder"));
  if (process.platform !== "win32") {
    execFileSync("mkfifo", [join(data, "fifo.png")]);
    symlinkSync("loop.png", join(data, "loop.png"));
    symlinkSync("/etc/passwd", join(data, "passwd.png"));
    symlinkSync(join(outside, "far.png"), join(data, "far-link.png"));
    symlinkSync("img/good.png", join(data, "inside-link.png"));
    server = createServer();
    await new Promise<void>((r) => server!.listen(join(data, "sock.png"), r));
  }
});
afterAll(() => server?.close());

/** One caption line per image reference, then a pass over the manifest. */
async function captions(refs: string[], options: Parameters<typeof readOnePass>[2] = {}) {
  writeJsonl(
    join(data, "captions.jsonl"),
    refs.map((image) => ({ image, caption: `about ${image}` })),
  );
  return readOnePass(
    dir,
    { kind: "caption", format: "jsonl", path: "data/captions.jsonl" },
    options,
  );
}

describe("paths in data files", () => {
  posixOnly(
    "skips each hostile reference with its own reason, and keeps the good one",
    async () => {
      const hostile: [string, string, RegExp][] = [
        ["/dev/zero", "outside-data-folder", /is absolute and outside the data folder/],
        ["/etc/passwd", "outside-data-folder", /is absolute and outside the data folder/],
        ["../../etc/passwd", "outside-data-folder", /climbs out of the data folder/],
        ["../elsewhere/far.png", "outside-data-folder", /climbs out of the data folder/],
        ["fifo.png", "not-regular-file", /is a FIFO \(named pipe\), not a regular file/],
        ["sock.png", "not-regular-file", /is a socket, not a regular file/],
        ["loop.png", "not-regular-file", /is a symbolic link loop/],
        ["passwd.png", "outside-data-folder", /is a symbolic link to \/etc\/passwd, outside/],
        ["far-link.png", "outside-data-folder", /is a symbolic link to .*far\.png, outside/],
        ["folder", "not-regular-file", /is a directory, not a regular file/],
        ["img/missing.png", "missing-file", /does not exist/],
        ["img/bad\u0000.png", "bad-path", /contains a NUL byte/],
      ];
      const refs = ["img/good.png", ...hostile.map(([ref]) => ref), "inside-link.png"];
      const { docs, issues } = await captions(refs);
      expect(docs.map((d) => d.parts[1]?.type === "text" && d.parts[1].text)).toEqual([
        "about img/good.png",
        "about inside-link.png",
      ]);
      expect(issues).toHaveLength(hostile.length);
      hostile.forEach(([ref, code, message], i) => {
        const issue = issues[i]!;
        expect([ref, issue.code, issue.position]).toEqual([ref, code, `line ${i + 2}`]);
        expect(issue.message).toMatch(message);
        expect(issue.file).toMatch(/captions\.jsonl$/);
        expect(issue.fix).toBeTruthy();
      });
    },
  );

  posixOnly("allows a folder the spec declares in `roots`, and only that folder", async () => {
    const refs = ["../elsewhere/far.png", join(outside, "far.png"), "far-link.png", "/etc/passwd"];
    const { docs, issues } = await captions(refs, { roots: [outside] });
    expect(docs).toHaveLength(3);
    expect(issues.map((i) => [i.code, i.position])).toEqual([["outside-data-folder", "line 4"]]);
  });

  posixOnly("is an error naming the line and path in strict mode", async () => {
    const err = await captions(["img/good.png", "fifo.png"], { strict: true }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toMatch(
      /captions\.jsonl: line 2: path `fifo\.png` is a FIFO \(named pipe\), not a regular file/,
    );
  });

  posixOnly("drops a hostile image from an interleaved document and keeps the rest", async () => {
    writeJsonl(join(data, "docs.jsonl"), [
      { texts: ["a", null, null, "b"], images: [null, "/dev/zero", "img/good.png", null] },
    ]);
    const { docs, issues } = await readOnePass(dir, {
      kind: "interleaved",
      format: "jsonl",
      path: "data/docs.jsonl",
    });
    expect(docs[0]?.parts.map((p) => p.type)).toEqual(["text", "image", "text"]);
    expect(issues.map((i) => [i.code, i.position])).toEqual([
      ["outside-data-folder", "line 1, images[1]"],
    ]);
  });

  it("escapes control characters of a path as written before it reaches the terminal", async () => {
    const ref = "img/\u001b]0;pwned\u0007\u001b[2J\r\n.png";
    const { issues } = await captions([ref]);
    expect(issues[0]?.code).toBe("missing-file");
    const line = renderIssue(issues[0]!);
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(line).toContain("img/\\x1b]0;pwned\\x07\\x1b[2J\\r\\n.png");
  });

  it("escapes control characters in the text `inspect` shows", async () => {
    writeJsonl(join(data, "esc.jsonl"), [{ text: "clear \u001b[2J screen\r\nnext line" }]);
    const spec = oneSource(dir, { kind: "text", format: "jsonl", path: "data/esc.jsonl" });
    const text = renderInspect(await inspect(spec, { samples: 3, imageTokens: 4, sequence: 64 }));
    expect(text).toContain("clear \\x1b[2J screen\\r\nnext line");
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it("shows a long path by its start", async () => {
    const { issues } = await captions([`${"../".repeat(300)}etc/passwd`]);
    expect(issues[0]?.message).toMatch(
      /^path `(\.\.\/){66}\.\.\.\.\. \(910 characters\)` climbs out/,
    );
  });
});

describe("source files the spec names", () => {
  posixOnly("a FIFO, a device or a directory is reported once as not a regular file", async () => {
    for (const path of ["data/fifo.png", "/dev/zero", "data/folder"]) {
      const { issues, sink } = await readOnePass(dir, { kind: "text", format: "jsonl", path });
      expect(issues.map((i) => i.code)).toEqual(["not-regular-file", "empty-source"]);
      expect(issues[0]?.message).toMatch(
        /^the source file is (a FIFO|a character device|a directory)/,
      );
      expect(sink.summary("files")).toEqual({ src: { "not-regular-file": 1 } });
    }
  });

  posixOnly("a shard that is a FIFO does not block the stream", async () => {
    writeFileSync(
      join(data, "ok.tar"),
      writeTar([
        { name: "a.png", data: solidPng([1, 2, 3]) },
        { name: "a.txt", data: Buffer.from("fine") },
      ]),
    );
    symlinkSync("fifo.png", join(data, "fifo.tar"));
    const spec = oneSource(dir, {
      kind: "caption",
      format: "webdataset",
      path: "data/{fifo,ok}.tar",
    });
    const stream = openDataStream(spec, { sequence: 32, imageTokens: 4, onWarning: () => {} });
    try {
      const seq = await stream.nextSequence();
      expect(seq.documents[0]?.where).toMatch(/ok\.tar: sample `a`/);
      expect(stream.issues.summary("files")).toEqual({ src: { "not-regular-file": 1 } });
    } finally {
      await stream.close();
    }
  });
});
