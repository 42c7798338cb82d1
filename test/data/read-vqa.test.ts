// The VQA reader on tiny files written here: questions joined with their annotations, images found
// under COCO's names (or a template), bad records counted and skipped or thrown with `strict`.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cocoImageStem, readVqa, type DataIssue } from "../../src/runtime/data/index.js";
import { solidPng, tempDir } from "./fixtures.js";

const root = tempDir();

function write(dir: string, name: string, doc: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

function folder(name: string, images: string[]): { dir: string; images: string } {
  const dir = join(root, name);
  const imageDir = join(dir, "images");
  mkdirSync(imageDir, { recursive: true });
  for (const im of images) writeFileSync(join(imageDir, im), solidPng([9, 9, 9]));
  return { dir, images: imageDir };
}

const tenAnswers = (answer: string) =>
  Array.from({ length: 10 }, (_, i) => ({
    answer,
    answer_confidence: "yes",
    answer_id: i + 1,
  }));

describe("cocoImageStem", () => {
  it("pads the id to 12 digits, with the COCO 2014 prefix when there is a subtype", () => {
    expect(cocoImageStem(391895, "val2014")).toBe("COCO_val2014_000000391895");
    expect(cocoImageStem(391895)).toBe("000000391895");
  });
});

describe("readVqa", () => {
  it("joins questions and annotations and finds COCO-named images", async () => {
    const { dir, images } = folder("good", [
      "COCO_val2014_000000000042.jpg",
      "COCO_val2014_000000000007.png",
    ]);
    const questions = write(dir, "q.json", {
      data_subtype: "val2014",
      questions: [
        { image_id: 42, question: "What color is it?", question_id: 420 },
        { image_id: 7, question: "Is it round?", question_id: 70 },
        { image_id: 42, question: "How many?", question_id: 421 },
      ],
    });
    const annotations = write(dir, "a.json", {
      annotations: [
        {
          question_id: 70,
          image_id: 7,
          answers: tenAnswers("yes"),
          multiple_choice_answer: "yes",
          question_type: "is it",
          answer_type: "yes/no",
        },
        { question_id: 420, image_id: 42, answers: tenAnswers("gray"), answer_type: "other" },
        { question_id: 421, image_id: 42, answers: tenAnswers("1") },
        // An annotation for a question not in the file is ignored.
        { question_id: 999, image_id: 42, answers: tenAnswers("x") },
      ],
    });
    const set = await readVqa({ questions, annotations, imageDir: images });
    expect(set.subtype).toBe("val2014");
    expect(set.counts).toEqual({ read: 3, skipped: 0, issues: {} });
    const [q0, q1] = set.questions;
    expect(q0).toMatchObject({ questionId: 420, imageId: 42, question: "What color is it?" });
    expect(q0!.imagePath).toMatch(/COCO_val2014_000000000042\.jpg$/);
    expect(q0!.answers).toHaveLength(10);
    expect(q0!.answers![3]).toEqual({ answer: "gray", confidence: "yes", answerId: 4 });
    expect(q0!.answerType).toBe("other");
    expect(q1).toMatchObject({
      questionId: 70,
      multipleChoiceAnswer: "yes",
      questionType: "is it",
      answerType: "yes/no",
    });
    // The PNG was found by trying the extensions in order.
    expect(q1!.imagePath).toMatch(/COCO_val2014_000000000007\.png$/);
  });

  it("reads questions without an annotation file (no answers)", async () => {
    const { dir, images } = folder("noann", ["000000000005.jpg"]);
    const questions = write(dir, "q.json", {
      questions: [{ image_id: 5, question: "Why?", question_id: 1 }],
    });
    const set = await readVqa({ questions, imageDir: images });
    expect(set.questions).toHaveLength(1);
    expect(set.questions[0]!.answers).toBeUndefined();
    expect(set.subtype).toBeUndefined();
  });

  it("names images with a template when given one", async () => {
    const { dir, images } = folder("template", ["img-3.png"]);
    const questions = write(dir, "q.json", {
      questions: [{ image_id: 3, question: "Where?", question_id: 1 }],
    });
    const set = await readVqa({ questions, imageDir: images, imageName: "img-{id}.png" });
    expect(set.questions[0]!.imagePath).toMatch(/img-3\.png$/);
  });

  it("counts and skips bad records", async () => {
    const { dir, images } = folder("bad", ["COCO_x_000000000001.jpg"]);
    mkdirSync(join(images, "COCO_x_000000000004.jpg"));
    const questions = write(dir, "q.json", {
      data_subtype: "x",
      questions: [
        { image_id: 1, question: "ok?", question_id: 1 },
        { image_id: 1, question: 3, question_id: 2 }, // question not a string
        { image_id: 1, question: "dup", question_id: 1 }, // duplicate id
        { image_id: 2, question: "no image?", question_id: 3 }, // image missing
        { image_id: 1, question: "no annotation?", question_id: 4 },
        { image_id: 1, question: "wrong image", question_id: 5 }, // annotation says image 9
        { image_id: 1, question: "bad answers", question_id: 6 },
        { image_id: 4, question: "a directory", question_id: 7 },
      ],
    });
    const annotations = write(dir, "a.json", {
      annotations: [
        { question_id: 1, image_id: 1, answers: tenAnswers("yes") },
        { question_id: 3, image_id: 2, answers: tenAnswers("yes") },
        { question_id: 5, image_id: 9, answers: tenAnswers("yes") },
        { question_id: 6, image_id: 1, answers: [{ answer: 1 }] }, // answer not a string
        { question_id: 7, image_id: 4, answers: tenAnswers("no") },
      ],
    });
    const warnings: DataIssue[] = [];
    const set = await readVqa({
      questions,
      annotations,
      imageDir: images,
      onWarning: (w) => warnings.push(w),
    });
    expect(set.questions.map((q) => q.questionId)).toEqual([1]);
    expect(set.counts.skipped).toBe(7);
    const messages = warnings.map((w) => `${w.position}: ${w.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^annotations\[3\]: an annotation needs a `question_id` and a non-empty/,
        ),
        expect.stringMatching(/^questions\[1\]: a question needs/),
        expect.stringMatching(/^questions\[2\]: question id 1 appears twice/),
        expect.stringMatching(
          /^questions\[3\]: no image for image id 2 in the image folder \(looked for `COCO_x_000000000002\.jpg`/,
        ),
        expect.stringMatching(/^questions\[4\]: question 4 has no annotation/),
        expect.stringMatching(
          /^questions\[5\]: question 5 is about image 1 but its annotation says image 9/,
        ),
        expect.stringMatching(/^questions\[6\]: question 6 has no annotation/),
        expect.stringMatching(
          /^questions\[7\]: image `COCO_x_000000000004\.jpg` is a directory, not a regular file/,
        ),
      ]),
    );
    expect(set.counts.issues).toEqual({
      "bad-record": 6,
      "missing-file": 1,
      "not-regular-file": 1,
    });
  });

  it("keeps a subtype from the file inside the image folder", async () => {
    const { dir, images } = folder("escape", []);
    // COCO_/../../x_000000000001.jpg would be this file, beside the image folder.
    writeFileSync(join(dir, "x_000000000001.jpg"), solidPng([1, 1, 1]));
    const questions = write(dir, "q.json", {
      data_subtype: "/../../x",
      questions: [{ image_id: 1, question: "out?", question_id: 1 }],
    });
    await expect(readVqa({ questions, imageDir: images, strict: true })).rejects.toThrow(
      /image name `COCO_\/\.\.\/\.\.\/x_000000000001\.jpg` is absolute or climbs out/,
    );
  });
});
