// The synthetic corpus's evaluation split over the held-out scenes, in the benchmarks' formats:
// the images under COCO's names, VQAv2-style questions with ten human-style answers each (mostly
// right, with synonyms and plausible misses), and COCO-style captions with five references each.
import { mixSeed, Prng } from "../data/prng.js";
import { describeScene, POSITIONS, type Colour, type Scene, type Shape } from "./synth-scene.js";

export const EVAL_SUBTYPE = "heldout";
export const EVAL_IMAGE_DIR = "heldout-images";
export const QUESTIONS_PER_IMAGE = 3;
const CAPTIONS_PER_IMAGE = 5;

export interface EvalFiles {
  /** File name inside EVAL_IMAGE_DIR for each held-out scene (its image id is its index). */
  imageNames: string[];
  questions: string;
  annotations: string;
  captions: string;
  counts: { questions: number; captions: number };
}

/** COCO's name for image `id` of the split: `COCO_heldout_000000000007.png`. */
export function evalImageName(id: number): string {
  return `COCO_${EVAL_SUBTYPE}_${String(id).padStart(12, "0")}.png`;
}

interface Question {
  question: string;
  questionType: string;
  answerType: "yes/no" | "number" | "other";
  answer: string;
  /** Answers a person might give that mean the same or nearly (some normalise to `answer`). */
  variants: string[];
  /** Plausible wrong answers. */
  misses: string[];
}

const NUMBER_WORDS = ["zero", "one", "two", "three", "four"] as const;
const COLOUR_VARIANTS: Record<Colour, { variants: string[]; misses: string[] }> = {
  red: { variants: ["dark red", "Red"], misses: ["orange", "pink"] },
  green: { variants: ["light green", "dark green"], misses: ["blue", "yellow"] },
  blue: { variants: ["dark blue", "Blue."], misses: ["purple", "green"] },
  yellow: { variants: ["gold", "yellow."], misses: ["orange", "white"] },
  purple: { variants: ["violet", "Purple"], misses: ["blue", "pink"] },
  orange: { variants: ["dark orange", "orange."], misses: ["yellow", "red"] },
  white: { variants: ["light gray", "White"], misses: ["gray", "yellow"] },
};
const SHAPE_VARIANTS: Record<Shape, { variants: string[]; misses: string[] }> = {
  circle: { variants: ["a circle", "round"], misses: ["oval", "circles"] },
  square: { variants: ["a square", "squares"], misses: ["diamond", "rectangle"] },
  triangle: { variants: ["a triangle", "triangles"], misses: ["arrow", "diamond"] },
  diamond: { variants: ["a diamond", "rhombus"], misses: ["square", "triangle"] },
};
const POSITION_VARIANTS: Record<string, string[]> = {
  "top left": ["upper left", "top-left"],
  top: ["top middle", "the top"],
  "top right": ["upper right", "top-right"],
  left: ["left side", "middle left"],
  center: ["middle", "the center"],
  right: ["right side", "middle right"],
  "bottom left": ["lower left", "bottom-left"],
  bottom: ["bottom middle", "the bottom"],
  "bottom right": ["lower right", "bottom-right"],
};

const plural = (scene: Scene) => (scene.cells.length === 1 ? scene.shape : `${scene.shape}s`);
const pick = <T>(rng: Prng, xs: readonly T[]): T => xs[rng.nextInt(xs.length)] as T;

function countQuestion(scene: Scene): Question {
  const n = scene.cells.length;
  return {
    question: `How many ${scene.shape}s are there?`,
    questionType: "how many",
    answerType: "number",
    answer: String(n),
    variants: [NUMBER_WORDS[n] ?? String(n)],
    misses: [String(n + 1), String(Math.max(0, n - 1))],
  };
}

function colourQuestion(scene: Scene): Question {
  const one = scene.cells.length === 1;
  return {
    question: one ? `What color is the ${scene.shape}?` : `What color are the ${scene.shape}s?`,
    questionType: one ? "what color is the" : "what color are the",
    answerType: "other",
    answer: scene.colour,
    ...COLOUR_VARIANTS[scene.colour],
  };
}

function shapeQuestion(scene: Scene): Question {
  const one = scene.cells.length === 1;
  return {
    question: one
      ? `What shape is the ${scene.colour} object?`
      : `What shape are the ${scene.colour} objects?`,
    questionType: "what",
    answerType: "other",
    answer: scene.shape,
    ...SHAPE_VARIANTS[scene.shape],
  };
}

/** One object: where is it. Several: is there one at a given place (yes or no). */
function positionQuestion(scene: Scene, rng: Prng): Question {
  if (scene.cells.length === 1) {
    const cell = scene.cells[0] as number;
    const place = POSITIONS[cell] as string;
    const neighbours = [
      cell - 3,
      cell + 3,
      cell % 3 > 0 ? cell - 1 : -1,
      cell % 3 < 2 ? cell + 1 : -1,
    ]
      .filter((c) => c >= 0 && c < 9)
      .map((c) => POSITIONS[c] as string);
    return {
      question: `Where is the ${scene.shape}?`,
      questionType: "where is the",
      answerType: "other",
      answer: place,
      variants: POSITION_VARIANTS[place] ?? [],
      misses: neighbours,
    };
  }
  const occupied = rng.nextFloat() < 0.5;
  const free = [0, 1, 2, 3, 4, 5, 6, 7, 8].filter((c) => !scene.cells.includes(c));
  const cell = occupied ? pick(rng, scene.cells) : pick(rng, free);
  return yesNo(
    `Is there a ${scene.shape} at the ${POSITIONS[cell] as string}?`,
    "is there a",
    occupied,
  );
}

/** "Is there a blue circle?": the scene's own colour and shape, or one of them changed. */
function existsQuestion(scene: Scene, rng: Prng): Question {
  const truth = rng.nextFloat() < 0.5;
  let colour: string = scene.colour;
  let shape: string = scene.shape;
  if (!truth) {
    if (rng.nextFloat() < 0.5)
      colour = pick(
        rng,
        Object.keys(COLOUR_VARIANTS).filter((c) => c !== scene.colour),
      );
    else
      shape = pick(
        rng,
        Object.keys(SHAPE_VARIANTS).filter((s) => s !== scene.shape),
      );
  }
  const article = /^[aeiou]/.test(colour) ? "an" : "a";
  return yesNo(`Is there ${article} ${colour} ${shape} in the picture?`, "is there a", truth);
}

function yesNo(question: string, questionType: string, truth: boolean): Question {
  const answer = truth ? "yes" : "no";
  return {
    question,
    questionType,
    answerType: "yes/no",
    answer,
    variants: [truth ? "Yes" : "No", truth ? "yes." : "no."],
    misses: [truth ? "no" : "yes"],
  };
}

const KINDS = [countQuestion, colourQuestion, shapeQuestion, positionQuestion, existsQuestion];

/** How many of the ten people disagree (0-4), cumulative: so the answer always has a majority. */
const DISAGREEING = [0.3, 0.6, 0.8, 0.92, 1];

/**
 * Ten answers: 6-10 people give the answer; each of the others gives a variant (60%) or a
 * plausible miss (40%), with a confidence ("yes", "maybe", "no") each.
 */
function humanAnswers(
  q: Question,
  rng: Prng,
): { answer: string; answer_confidence: string; answer_id: number }[] {
  const r = rng.nextFloat();
  const disagreeing = DISAGREEING.findIndex((p) => r < p);
  const others = new Set(rng.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).slice(0, disagreeing));
  return Array.from({ length: 10 }, (_, i) => {
    let answer = q.answer;
    let confidence = rng.nextFloat() < 0.9 ? "yes" : "maybe";
    if (others.has(i)) {
      const variant = rng.nextFloat() < 0.6 && q.variants.length > 0;
      const pool = variant ? q.variants : q.misses;
      if (pool.length > 0) answer = pick(rng, pool);
      confidence = variant ? confidence : rng.nextFloat() < 0.5 ? "maybe" : "no";
    }
    return { answer, answer_confidence: confidence, answer_id: i + 1 };
  });
}

/** The most frequent answer (VQAv2's `multiple_choice_answer`); ties go to the first seen. */
function mostFrequent(answers: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  let best = answers[0] ?? "";
  for (const [a, n] of counts) if (n > (counts.get(best) ?? 0)) best = a;
  return best;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Paraphrases of what the scene shows; the first is the training captions' own wording. */
function paraphrases(scene: Scene): string[] {
  const n = scene.cells.length;
  const one = n === 1;
  const count = NUMBER_WORDS[n] ?? String(n);
  const art = one ? "a" : count;
  const noun = plural(scene);
  const places = describeScene(scene)
    .replace(/^.* at /, "")
    .replace(/\.$/, "");
  return [
    describeScene(scene),
    `${cap(art)} ${scene.colour} ${noun} on a dark background.`,
    `A picture of ${art} ${scene.colour} ${noun}.`,
    one
      ? `There is a ${scene.colour} ${scene.shape} at ${places}.`
      : `There are ${count} ${scene.colour} ${noun}, at ${places}.`,
    `${cap(scene.colour)} ${noun} at ${places}.`,
    one
      ? `A single ${scene.colour} ${scene.shape} in the picture.`
      : `${cap(count)} ${noun}, all ${scene.colour}.`,
    `${cap(art)} ${noun} colored ${scene.colour}.`,
    one
      ? `One ${scene.colour} ${scene.shape}, placed at ${places}.`
      : `${cap(count)} ${scene.colour} ${noun} placed at ${places}.`,
  ];
}

/**
 * The split's JSON files for the held-out scenes (image id = index), deterministic for a seed:
 * three questions per image of different kinds, and five captions per image (the training
 * wording and four other paraphrases).
 */
export function synthEvalFiles(scenes: readonly Scene[], seed: number, px: number): EvalFiles {
  const qRng = Prng.fromSeed(mixSeed(seed, 5));
  const cRng = Prng.fromSeed(mixSeed(seed, 6));
  const imageNames = scenes.map((_, id) => evalImageName(id));
  const questions: object[] = [];
  const annotations: object[] = [];
  const images: object[] = [];
  const captions: object[] = [];
  scenes.forEach((scene, imageId) => {
    const kinds = qRng.shuffle([...KINDS.keys()]).slice(0, QUESTIONS_PER_IMAGE);
    kinds.forEach((kind, k) => {
      const q = (KINDS[kind] as (s: Scene, r: Prng) => Question)(scene, qRng);
      const questionId = imageId * 1000 + k;
      const answers = humanAnswers(q, qRng);
      questions.push({ image_id: imageId, question: q.question, question_id: questionId });
      annotations.push({
        question_id: questionId,
        image_id: imageId,
        question_type: q.questionType,
        answer_type: q.answerType,
        answers,
        multiple_choice_answer: mostFrequent(answers.map((a) => a.answer)),
      });
    });
    images.push({ id: imageId, file_name: imageNames[imageId], width: px, height: px });
    const texts = paraphrases(scene);
    const others = cRng.shuffle([1, 2, 3, 4, 5, 6, 7]).slice(0, CAPTIONS_PER_IMAGE - 1);
    [0, ...others].forEach((t, k) => {
      captions.push({ id: imageId * 10 + k, image_id: imageId, caption: texts[t] });
    });
  });
  const info = { description: "mmc synthetic held-out split", version: "1.0", seed };
  const license = { name: "generated by mmc data synth", url: "" };
  const common = { info, license, data_type: "mmc-synthetic", data_subtype: EVAL_SUBTYPE };
  return {
    imageNames,
    questions: json({ ...common, task_type: "Open-Ended", questions }),
    annotations: json({ ...common, annotations }),
    captions: json({ info, licenses: [license], images, annotations: captions }),
    counts: { questions: questions.length, captions: captions.length },
  };
}

function json(value: object): string {
  return JSON.stringify(value) + "\n";
}
