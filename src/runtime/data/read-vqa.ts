// VQAv2-style question files (`{"questions": [{image_id, question, question_id}]}`) and their
// annotation files (`{"annotations": [{question_id, answers: [{answer, ...}], ...}]}`), with the
// images in a folder under COCO's names, as plain records: question, image path, human answers.
import { DataError } from "./issues.js";
import {
  benchmarkIssues,
  ImageFolder,
  isObject,
  issueCounts,
  readId,
  readJsonFile,
  showText,
  topLevelArray,
  type BenchmarkCounts,
  type BenchmarkOptions,
  type ImageRefusal,
  type JsonObject,
} from "./benchmark-files.js";

export interface VqaReadOptions extends BenchmarkOptions {
  /** The question file (`v2_OpenEnded_mscoco_val2014_questions.json` or the like). */
  questions: string;
  /** The annotation file with the human answers; without it, questions come without answers. */
  annotations?: string;
  imageDir: string;
  /**
   * The image file name for an image id: `{id}` is the id, `{id12}` the id zero-padded to 12
   * digits, `{subtype}` the question file's `data_subtype`. Default: COCO's
   * `COCO_{subtype}_{id12}` (or `{id12}` without a subtype) with the first of `.jpg`, `.jpeg`,
   * `.png`, `.webp` that exists.
   */
  imageName?: string;
}

export interface VqaHumanAnswer {
  answer: string;
  /** "yes", "maybe" or "no" in VQAv2. */
  confidence?: string;
  answerId?: number | string;
}

export interface VqaQuestion {
  questionId: number | string;
  imageId: number | string;
  question: string;
  /** Real path, inside the image folder. */
  imagePath: string;
  /** The human answers (ten in VQAv2); absent without an annotation file. */
  answers?: VqaHumanAnswer[];
  multipleChoiceAnswer?: string;
  questionType?: string;
  answerType?: string;
}

export interface VqaSet {
  questions: VqaQuestion[];
  /** The question file's `data_subtype` (e.g. "val2014"), if it has one. */
  subtype?: string;
  /** `read` and `skipped` count questions. */
  counts: BenchmarkCounts;
}

const Q_EXAMPLE =
  '{"data_subtype": "val2014", "questions": [{"image_id": 1, "question": "...", "question_id": 10}]}';
const A_EXAMPLE =
  '{"annotations": [{"question_id": 10, "image_id": 1, "answers": [{"answer": "yes", "answer_confidence": "yes", "answer_id": 1}]}]}';
const EXTENSIONS = [".jpg", ".jpeg", ".png", ".webp"];

/** COCO's file name stem for an image id: `COCO_val2014_000000391895` (2014) or `000000391895`. */
export function cocoImageStem(imageId: number, subtype?: string): string {
  const id12 = String(imageId).padStart(12, "0");
  return subtype ? `COCO_${subtype}_${id12}` : id12;
}

export async function readVqa(options: VqaReadOptions): Promise<VqaSet> {
  const folder = new ImageFolder(options.imageDir);
  await folder.check();
  const qFile = options.questions;
  const qDoc = await readJsonFile(qFile, "question file");
  const questionList = topLevelArray(
    qDoc,
    "questions",
    `question file \`${showText(qFile)}\``,
    Q_EXAMPLE,
  );
  const rawSubtype = isObject(qDoc) ? qDoc["data_subtype"] : undefined;
  const subtype = typeof rawSubtype === "string" && rawSubtype !== "" ? rawSubtype : undefined;
  const { sink, report } = benchmarkIssues(options, "vqa");

  const annotations = options.annotations
    ? await readAnnotations(options.annotations, report)
    : undefined;

  const imagePaths = new Map<
    number | string,
    Promise<{ ok: true; path: string } | { ok: false; refusal: ImageRefusal }>
  >();
  const seen = new Set<number | string>();
  const questions: VqaQuestion[] = [];
  let skipped = 0;
  for (const [i, entry] of questionList.entries()) {
    const position = `questions[${i}]`;
    const bad = (r: ImageRefusal) => {
      skipped++;
      report(qFile, position, r);
    };
    const questionId = isObject(entry) ? readId(entry["question_id"]) : undefined;
    const imageId = isObject(entry) ? readId(entry["image_id"]) : undefined;
    const question = isObject(entry) ? entry["question"] : undefined;
    if (questionId === undefined || imageId === undefined || typeof question !== "string") {
      bad({
        code: "bad-record",
        message: "a question needs a `question_id`, an `image_id` and a string `question`",
        fix: 'write {"image_id": 1, "question": "What color is the cat?", "question_id": 10}',
      });
      continue;
    }
    if (seen.has(questionId)) {
      bad({
        code: "bad-record",
        message: `question id ${showText(String(questionId))} appears twice; the later one is skipped`,
        fix: "give each question its own id",
      });
      continue;
    }
    seen.add(questionId);
    const record: VqaQuestion = { questionId, imageId, question, imagePath: "" };
    if (annotations) {
      const ann = annotations.get(questionId);
      if (!ann) {
        bad({
          code: "bad-record",
          message: `question ${showText(String(questionId))} has no annotation in the annotation file`,
          fix: "use the annotation file that belongs to this question file",
        });
        continue;
      }
      if (ann.imageId !== undefined && ann.imageId !== imageId) {
        bad({
          code: "bad-record",
          message: `question ${showText(String(questionId))} is about image ${showText(String(imageId))} but its annotation says image ${showText(String(ann.imageId))}`,
          fix: "use the annotation file that belongs to this question file",
        });
        continue;
      }
      Object.assign(record, ann.fields);
    }
    let image = imagePaths.get(imageId);
    if (!image) {
      image = findImage(folder, imageId, subtype, options.imageName);
      imagePaths.set(imageId, image);
    }
    const found = await image;
    if (!found.ok) {
      bad(found.refusal);
      continue;
    }
    record.imagePath = found.path;
    questions.push(record);
  }
  if (questions.length === 0 && questionList.length > 0)
    throw new DataError(
      `question file \`${showText(qFile)}\`: none of its ${questionList.length} questions can be used (see the warnings)`,
    );
  return {
    questions,
    ...(subtype !== undefined ? { subtype } : {}),
    counts: { read: questions.length, skipped, issues: issueCounts(sink) },
  };
}

interface Annotation {
  imageId: number | string | undefined;
  fields: Pick<VqaQuestion, "answers" | "multipleChoiceAnswer" | "questionType" | "answerType">;
}

async function readAnnotations(
  file: string,
  report: (file: string, position: string, r: ImageRefusal) => void,
): Promise<Map<number | string, Annotation>> {
  const doc = await readJsonFile(file, "annotation file");
  const list = topLevelArray(
    doc,
    "annotations",
    `annotation file \`${showText(file)}\``,
    A_EXAMPLE,
  );
  const out = new Map<number | string, Annotation>();
  list.forEach((entry, i) => {
    const position = `annotations[${i}]`;
    const questionId = isObject(entry) ? readId(entry["question_id"]) : undefined;
    const answers = isObject(entry) ? readAnswers(entry["answers"]) : undefined;
    if (!isObject(entry) || questionId === undefined || !answers)
      return report(file, position, {
        code: "bad-record",
        message:
          'an annotation needs a `question_id` and a non-empty `answers` list of {"answer": string}',
        fix: 'write {"question_id": 10, "answers": [{"answer": "yes", "answer_confidence": "yes", "answer_id": 1}]}',
      });
    if (out.has(questionId))
      return report(file, position, {
        code: "bad-record",
        message: `question id ${showText(String(questionId))} is annotated twice; the later one is skipped`,
        fix: "keep one annotation per question",
      });
    out.set(questionId, {
      imageId: readId(entry["image_id"]),
      fields: { answers, ...optionalStrings(entry) },
    });
  });
  return out;
}

function readAnswers(v: unknown): VqaHumanAnswer[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const out: VqaHumanAnswer[] = [];
  for (const a of v) {
    if (!isObject(a) || typeof a["answer"] !== "string") return undefined;
    const answer: VqaHumanAnswer = { answer: a["answer"] };
    if (typeof a["answer_confidence"] === "string") answer.confidence = a["answer_confidence"];
    const id = readId(a["answer_id"]);
    if (id !== undefined) answer.answerId = id;
    out.push(answer);
  }
  return out;
}

function optionalStrings(entry: JsonObject): Omit<Annotation["fields"], "answers"> {
  const out: Omit<Annotation["fields"], "answers"> = {};
  const get = (key: string) =>
    typeof entry[key] === "string" ? (entry[key] as string) : undefined;
  const mc = get("multiple_choice_answer");
  const qt = get("question_type");
  const at = get("answer_type");
  if (mc !== undefined) out.multipleChoiceAnswer = mc;
  if (qt !== undefined) out.questionType = qt;
  if (at !== undefined) out.answerType = at;
  return out;
}

async function findImage(
  folder: ImageFolder,
  imageId: number | string,
  subtype: string | undefined,
  template: string | undefined,
): Promise<{ ok: true; path: string } | { ok: false; refusal: ImageRefusal }> {
  if (template !== undefined) {
    if (template.includes("{id12}") && typeof imageId !== "number")
      return {
        ok: false,
        refusal: {
          code: "bad-record",
          message: `image id ${showText(String(imageId))} is not a number, so \`{id12}\` cannot pad it`,
          fix: "use `{id}` in the image name template",
        },
      };
    const name = template
      .replaceAll("{id12}", String(imageId).padStart(12, "0"))
      .replaceAll("{id}", String(imageId))
      .replaceAll("{subtype}", subtype ?? "");
    return folder.resolve(name);
  }
  const stem = typeof imageId === "number" ? cocoImageStem(imageId, subtype) : String(imageId);
  let first: { ok: false; refusal: ImageRefusal } | undefined;
  for (const ext of EXTENSIONS) {
    const found = await folder.resolve(stem + ext);
    if (found.ok) return found;
    // A refusal other than "not there" (outside the folder, not a regular file) is the answer.
    if (found.refusal.code !== "missing-file") return found;
    first ??= found;
  }
  const tried = EXTENSIONS.map((e) => `\`${showText(stem + e)}\``).join(", ");
  return {
    ok: false,
    refusal: {
      code: "missing-file",
      message: `no image for image id ${showText(String(imageId))} in the image folder (looked for ${tried})`,
      fix: first?.refusal.fix ?? "check the image folder, or give the image name template",
    },
  };
}
