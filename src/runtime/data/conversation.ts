// Conversation records (LLaVA style) checked and laid out in mmc's chat template, as a pure
// function of the parsed JSON: which text is prompt (no loss) and which is answer (the loss), and
// where each `<image>` marker puts an image. The reader (read-conversation.ts) loads the images.

/** The chat template: each turn is its role tag, its text, and the end-of-turn newline. */
export const USER_TAG = "User: ";
export const ASSISTANT_TAG = "Assistant: ";
export const TURN_END = "\n";
/** Where an image goes in a turn's text (LLaVA's marker). */
export const IMAGE_MARKER = "<image>";
/** Turns one record may hold; past it the record is refused (`record-too-large`). */
export const MAX_TURNS_PER_RECORD = 512;

/**
 * One piece of the laid-out conversation: text that is a training target (an assistant turn's
 * text and its end-of-turn newline) or not (role tags, user turns), or the record's `index`-th
 * image.
 */
export type ConversationSegment =
  { type: "text"; text: string; target: boolean } | { type: "image"; index: number };

export interface Conversation {
  /** Image paths as the record names them, in `<image>` marker order. */
  images: string[];
  segments: ConversationSegment[];
  turns: number;
}

export type ConversationProblemCode =
  "bad-record" | "bad-turns" | "image-markers" | "record-too-large";

export interface ConversationProblem {
  problem: ConversationProblemCode;
  message: string;
  fix: string;
}

type Role = "user" | "assistant";
const ROLES: Readonly<Record<string, Role>> = {
  human: "user",
  user: "user",
  gpt: "assistant",
  assistant: "assistant",
};

const EXAMPLE =
  '{"image": "a.png", "conversations": [{"from": "human", "value": "<image>\\nWhat is it?"}, {"from": "gpt", "value": "A red circle."}]}';

function problem(code: ConversationProblemCode, message: string, fix: string): ConversationProblem {
  return { problem: code, message, fix };
}

/** The record's image paths: `image` (one path) or `images` (a list), or none. */
function imagesOf(obj: Record<string, unknown>): string[] | ConversationProblem {
  const one = obj["image"];
  const many = obj["images"];
  if (one !== undefined && many !== undefined)
    return problem("bad-record", "has both `image` and `images`", "keep one of the two");
  if (one !== undefined) {
    if (typeof one !== "string" || one === "")
      return problem("bad-record", "`image` must be a path", 'write "image": "a.png"');
    return [one];
  }
  if (many === undefined) return [];
  if (!Array.isArray(many) || many.some((x) => typeof x !== "string" || x === ""))
    return problem(
      "bad-record",
      "`images` must be a list of paths",
      'write "images": ["a.png", "b.png"]',
    );
  return many as string[];
}

function countMarkers(text: string): number {
  let n = 0;
  for (let at = text.indexOf(IMAGE_MARKER); at !== -1; at = text.indexOf(IMAGE_MARKER, at + 1)) n++;
  return n;
}

/**
 * Checks a record and lays it out: `User: ` + the user's text, `\n`, `Assistant: ` + the answer,
 * `\n`, turn after turn. `imagesPerRecord` bounds the images it may name.
 */
export function parseConversation(
  obj: Record<string, unknown>,
  imagesPerRecord: number,
): Conversation | ConversationProblem {
  const images = imagesOf(obj);
  if (!Array.isArray(images)) return images;
  if (images.length > imagesPerRecord)
    return problem(
      "record-too-large",
      `the conversation names ${images.length} images, over the limit of ${imagesPerRecord} for one record`,
      "split the conversation",
    );
  const list = obj["conversations"] ?? obj["messages"];
  if (!Array.isArray(list))
    return problem(
      "bad-record",
      "needs a list `conversations` (or `messages`) of turns",
      `write ${EXAMPLE}`,
    );
  if (list.length > MAX_TURNS_PER_RECORD)
    return problem(
      "record-too-large",
      `the conversation has ${list.length} turns, over the limit of ${MAX_TURNS_PER_RECORD} for one record`,
      "split the conversation",
    );
  if (list.length === 0)
    return problem("bad-turns", "the conversation has no turns", `write ${EXAMPLE}`);
  const turns: { role: Role; text: string }[] = [];
  for (const [i, turn] of list.entries()) {
    const at = `turn ${i + 1}`;
    if (turn === null || typeof turn !== "object" || Array.isArray(turn))
      return problem(
        "bad-turns",
        `${at} is not an object`,
        'write each turn as {"from": "human", "value": "..."}',
      );
    const t = turn as Record<string, unknown>;
    const who = t["from"] ?? t["role"];
    const text = t["value"] ?? t["content"];
    if (typeof who !== "string" || typeof text !== "string")
      return problem(
        "bad-turns",
        `${at} needs string fields \`from\` and \`value\` (or \`role\` and \`content\`)`,
        'write {"from": "human", "value": "..."} or {"role": "user", "content": "..."}',
      );
    const role = Object.hasOwn(ROLES, who) ? ROLES[who] : undefined;
    if (!role)
      return problem(
        "bad-turns",
        `${at} has the role \`${who.slice(0, 40)}\`; the roles are \`human\`/\`user\` and \`gpt\`/\`assistant\``,
        "use one of those roles (a system prompt is not supported)",
      );
    const want: Role = i % 2 === 0 ? "user" : "assistant";
    if (role !== want)
      return problem(
        "bad-turns",
        `${at} is the ${role}'s, but turns alternate starting with the user's`,
        "write the turns user, assistant, user, assistant, ...",
      );
    if (role === "assistant" && text.trim() === "")
      return problem(
        "bad-turns",
        `${at} is an empty assistant turn`,
        "give every assistant turn its answer",
      );
    if (role === "assistant" && text.includes(IMAGE_MARKER))
      return problem(
        "image-markers",
        `${at} is an assistant turn with an \`${IMAGE_MARKER}\` marker; images go in user turns`,
        `move the \`${IMAGE_MARKER}\` marker into a user turn`,
      );
    turns.push({ role, text });
  }
  if (turns.length % 2 !== 0)
    return problem(
      "bad-turns",
      "the conversation ends with a user turn, which has no answer to learn",
      "end the conversation with an assistant turn, or drop the last user turn",
    );
  const markers = turns.reduce((n, t) => n + countMarkers(t.text), 0);
  if (markers > images.length)
    return problem(
      "image-markers",
      `the conversation has ${markers} \`${IMAGE_MARKER}\` markers but names ${images.length} image${images.length === 1 ? "" : "s"}`,
      `name one image per \`${IMAGE_MARKER}\` marker in \`image\` or \`images\``,
    );
  if (markers > 0 && markers < images.length)
    return problem(
      "image-markers",
      `the conversation names ${images.length} images but has ${markers} \`${IMAGE_MARKER}\` marker${markers === 1 ? "" : "s"}`,
      `write one \`${IMAGE_MARKER}\` marker per image, or none (then the images open the first user turn)`,
    );
  return { images, segments: layOut(turns, images.length, markers === 0), turns: turns.length };
}

/** The template, with adjacent text of the same kind joined (fewer, longer text runs). */
function layOut(
  turns: readonly { role: Role; text: string }[],
  images: number,
  imagesFirst: boolean,
): ConversationSegment[] {
  const out: ConversationSegment[] = [];
  const text = (s: string, target: boolean) => {
    if (s === "") return;
    const last = out[out.length - 1];
    if (last?.type === "text" && last.target === target) last.text += s;
    else out.push({ type: "text", text: s, target });
  };
  let image = 0;
  for (const [i, turn] of turns.entries()) {
    if (turn.role === "assistant") {
      text(ASSISTANT_TAG, false);
      text(turn.text + TURN_END, true);
      continue;
    }
    text(USER_TAG, false);
    if (i === 0 && imagesFirst)
      for (; image < images; image++) out.push({ type: "image", index: image });
    const pieces = turn.text.split(IMAGE_MARKER);
    for (const [k, piece] of pieces.entries()) {
      if (k > 0) out.push({ type: "image", index: image++ });
      text(piece, false);
    }
    text(TURN_END, false);
  }
  return out;
}

export function isConversationProblem(
  x: Conversation | ConversationProblem,
): x is ConversationProblem {
  return "problem" in x;
}
