// The COCO caption reader on tiny files written here: good records come back with their real image
// paths and references; bad ones (missing fields, unknown ids, names that leave the image folder,
// missing or non-regular images) are counted and skipped, or thrown with `strict`.
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataError, readCocoCaptions, type DataIssue } from "../../src/runtime/data/index.js";
import { readJsonFile } from "../../src/runtime/data/benchmark-files.js";
import { solidPng, tempDir } from "./fixtures.js";

const root = tempDir();

function setup(name: string, doc: unknown): { file: string; images: string } {
  const dir = join(root, name);
  const images = join(dir, "images");
  mkdirSync(images, { recursive: true });
  writeFileSync(join(images, "a.png"), solidPng([255, 0, 0]));
  writeFileSync(join(images, "b.png"), solidPng([0, 255, 0]));
  mkdirSync(join(images, "sub"));
  writeFileSync(join(images, "sub", "c.png"), solidPng([0, 0, 255]));
  writeFileSync(join(dir, "secret.png"), solidPng([1, 2, 3]));
  const file = join(dir, "captions.json");
  writeFileSync(file, typeof doc === "string" ? doc : JSON.stringify(doc));
  return { file, images };
}

describe("readCocoCaptions", () => {
  it("returns each image with its path and references in file order", async () => {
    const { file, images } = setup("good", {
      images: [
        { id: 7, file_name: "a.png" },
        { id: 3, file_name: "sub/c.png" },
      ],
      annotations: [
        { id: 1, image_id: 3, caption: "a blue square." },
        { id: 2, image_id: 7, caption: "A red square." },
        { id: 3, image_id: 7, caption: "red." },
      ],
    });
    const set = await readCocoCaptions({ annotations: file, imageDir: images });
    expect(set.images.map((i) => [i.imageId, i.fileName, i.references])).toEqual([
      [7, "a.png", ["A red square.", "red."]],
      [3, "sub/c.png", ["a blue square."]],
    ]);
    expect(set.images[0]!.imagePath).toMatch(/images[/\\]a\.png$/);
    expect(set.counts).toEqual({ read: 2, skipped: 0, issues: {} });
  });

  it("counts and skips bad records, and says why", async () => {
    const { file, images } = setup("bad", {
      images: [
        { id: 1, file_name: "a.png" },
        { id: 2 }, // no file_name
        { id: 3, file_name: "../secret.png" }, // climbs out
        { id: 4, file_name: "/etc/passwd" }, // absolute
        { id: 5, file_name: "missing.png" },
        { id: 6, file_name: "sub" }, // a directory
        { id: 7, file_name: "link.png" }, // a symlink out of the folder
        { id: 1, file_name: "b.png" }, // duplicate id
        { id: 8, file_name: "b.png" }, // no captions
      ],
      annotations: [
        { image_id: 1, caption: "red" },
        { image_id: 1, caption: 5 }, // not a string
        { image_id: 99, caption: "unknown image" },
        { image_id: 1, caption: "x".repeat(10_001) }, // too long
        ...[3, 4, 5, 6, 7].map((id) => ({ image_id: id, caption: "x" })),
      ],
    });
    symlinkSync(join(root, "bad", "secret.png"), join(images, "link.png"));
    const warnings: DataIssue[] = [];
    const set = await readCocoCaptions({
      annotations: file,
      imageDir: images,
      onWarning: (issue) => warnings.push(issue),
    });
    expect(set.images.map((i) => i.imageId)).toEqual([1]);
    // Images 2..8 and the duplicate: 8 skipped; 3 bad annotations are in the issue counts.
    expect(set.counts.read).toBe(1);
    expect(set.counts.skipped).toBe(8);
    expect(set.counts.issues).toEqual({
      "bad-record": 6,
      "outside-data-folder": 3,
      "not-regular-file": 1,
      "missing-file": 1,
    });
    const messages = warnings.map((w) => `${w.position}: ${w.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^images\[1\]: an image needs an `id`/),
        expect.stringMatching(
          /^images\[2\]: image name `\.\.\/secret\.png` is absolute or climbs out/,
        ),
        expect.stringMatching(/^images\[3\]: image name `\/etc\/passwd` is absolute/),
        expect.stringMatching(/^images\[4\]: image `missing\.png` is not in the image folder/),
        expect.stringMatching(/^images\[5\]: image `sub` is a directory, not a regular file/),
        expect.stringMatching(/^images\[6\]: image `link\.png` is a link to a file outside/),
        expect.stringMatching(/^images\[7\]: image id 1 appears twice/),
        expect.stringMatching(/^images\[8\]: image 8 has no caption/),
        expect.stringMatching(/^annotations\[1\]: an annotation needs/),
        expect.stringMatching(/^annotations\[2\]: annotation for image id 99/),
        expect.stringMatching(
          /^annotations\[3\]: caption is 10001 characters, over the 10000 limit/,
        ),
      ]),
    );
    expect(warnings.every((w) => w.file === file && w.fix)).toBe(true);
  });

  it("throws the first problem with `strict`", async () => {
    const { file, images } = setup("strict", {
      images: [{ id: 1, file_name: "nope.png" }],
      annotations: [{ image_id: 1, caption: "x" }],
    });
    await expect(
      readCocoCaptions({ annotations: file, imageDir: images, strict: true }),
    ).rejects.toThrow(/images\[0\]: image `nope\.png` is not in the image folder/);
  });

  it("refuses a file it cannot use at all with a clear DataError", async () => {
    const notJson = setup("notjson", "{ images: [");
    await expect(
      readCocoCaptions({ annotations: notJson.file, imageDir: notJson.images }),
    ).rejects.toThrow(/caption file `.*captions\.json` is not valid JSON/);
    const noList = setup("nolist", { images: [] });
    await expect(
      readCocoCaptions({ annotations: noList.file, imageDir: noList.images }),
    ).rejects.toThrow(/has no `annotations` list at the top level/);
    await expect(
      readCocoCaptions({ annotations: join(root, "none.json"), imageDir: noList.images }),
    ).rejects.toBeInstanceOf(DataError);
    await expect(
      readCocoCaptions({ annotations: noList.file, imageDir: join(root, "no-such-dir") }),
    ).rejects.toThrow(/image folder `.*no-such-dir` does not exist/);
    const allBad = setup("allbad", {
      images: [{ id: 1, file_name: "nope.png" }],
      annotations: [{ image_id: 1, caption: "x" }],
    });
    await expect(
      readCocoCaptions({ annotations: allBad.file, imageDir: allBad.images }),
    ).rejects.toThrow(/none of its 1 images can be used/);
  });

  it("escapes control characters of names in messages", async () => {
    const { file, images } = setup("escape", {
      images: [{ id: 1, file_name: "evil\u001b[31m.png" }],
      annotations: [{ image_id: 1, caption: "x" }],
    });
    await expect(
      readCocoCaptions({ annotations: file, imageDir: images, strict: true }),
    ).rejects.toThrow("image `evil\\x1b[31m.png` is not in the image folder");
  });
});

describe("readJsonFile", () => {
  it("refuses files over the limit and files that are not regular, without reading them", async () => {
    const dir = join(root, "limits");
    mkdirSync(dir);
    const big = join(dir, "big.json");
    writeFileSync(big, JSON.stringify({ images: [], annotations: [] }));
    await expect(readJsonFile(big, "caption file", 10)).rejects.toThrow(
      /is 30 bytes, over the 10 bytes limit for one JSON file: split it/,
    );
    const fifo = join(dir, "fifo.json");
    execFileSync("mkfifo", [fifo]);
    await expect(readJsonFile(fifo, "caption file")).rejects.toThrow(
      /is a FIFO \(named pipe\), not a regular file/,
    );
    await expect(readJsonFile(dir, "caption file")).rejects.toThrow(
      /is a directory, not a regular file/,
    );
  });
});
