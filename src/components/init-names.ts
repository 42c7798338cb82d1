// Which tensor of a pretrained weights file (`init: safetensors(...)`) fills which parameter:
// one pure table for the checker (which compares it with the file's header) and the runtime
// (which loads through it). Hugging Face names come from hf-names.ts, never a second table.
import { hfShape, toHfName, type HfLayout } from "./hf-names.js";
import type { Config } from "./types.js";

/**
 * How the file's tensors are laid out: `mmc` (the runtime's: matrices [in, out]) or `hf`
 * (PyTorch's: [out, in], filters [out, in, kh, kw]). Without a name map it also says the names:
 * mmc's checkpoint names, or Hugging Face's (hf-names.ts).
 */
export type InitLayout = "mmc" | "hf";
export type InitPartName = "vision" | "connector" | "llm";
/** What one `init` covers: a whole model or one part. */
export type InitScope = "model" | InitPartName;

export interface InitPart {
  readonly part: InitPartName;
  readonly kind: string;
  readonly config: Config;
  /** The part's manifest, names in full (`llm.layers.0.attn.q.weight`). */
  readonly manifest: readonly {
    readonly name: string;
    readonly shape: readonly number[];
    /** A tied tensor (a head sharing the embedding) has no storage of its own: not loaded. */
    readonly tiedTo?: string;
  }[];
}

export interface ExpectedTensor {
  /** The parameter's name (the manifest's, in full). */
  readonly mmc: string;
  readonly shape: readonly number[];
  /** Its name in the file. */
  readonly file: string;
  /** Its shape in the file (the file's layout). */
  readonly fileShape: readonly number[];
  /** How the file's tensor becomes the parameter (`same` for mmc's layout). */
  readonly layout: HfLayout;
}

/**
 * Llava's names of the three parts in one Hugging Face file (`LlavaForConditionalGeneration`):
 * the vision tower's CLIP names, the projector's and the decoder's under these prefixes.
 */
export const HF_MODEL_PREFIX: Readonly<Record<InitPartName, string>> = {
  vision: "vision_tower.",
  connector: "multi_modal_projector.",
  llm: "language_model.",
};

/** Names an mmc checkpoint holds besides parameters (AdamW's moments): never unexpected. */
const MMC_STATE = ["adam_m.", "adam_v."];

export interface InitTable {
  readonly expected: readonly ExpectedTensor[];
  /** With a map: the parameters (scope-relative names) the map gives no file name. */
  readonly unmapped: readonly string[];
  /** Map keys that name no parameter of the scope (a typo, or another model's name). */
  readonly unknownKeys: readonly string[];
  /** Whether a file tensor that no parameter takes should be reported (else it is someone else's). */
  isOurs(fileName: string): boolean;
}

/**
 * The table for one `init`: `parts` are the parts it covers (the model's parts without an
 * `init` of their own, or the one part); `map`, when given, names every file tensor instead of
 * the layout's names: its keys are mmc names relative to the scope (`layers.0.attn.q.weight` for
 * a part, `llm.embed.weight` for a model), its values names in the file.
 */
export function initTable(
  scope: InitScope,
  parts: readonly InitPart[],
  layout: InitLayout,
  map?: ReadonlyMap<string, string>,
): InitTable {
  const expected: ExpectedTensor[] = [];
  const unmapped: string[] = [];
  const known = new Set<string>();
  for (const p of parts) {
    for (const t of p.manifest) {
      if (t.tiedTo !== undefined) continue;
      const rel = t.name.slice(p.part.length + 1);
      const key = scope === "model" ? t.name : rel;
      known.add(key);
      const hf = layout === "hf" ? toHfName(p.kind, rel, p.config) : undefined;
      if (layout === "hf" && !hf)
        throw new Error(`internal: no Hugging Face name for \`${p.kind}\` \`${rel}\``);
      const move = hf?.layout ?? "same";
      let file: string | undefined;
      if (map) file = map.get(key);
      else if (hf) file = (scope === "model" ? HF_MODEL_PREFIX[p.part] : "") + hf.name;
      else file = `param.${t.name}`;
      if (file === undefined) {
        unmapped.push(key);
        continue;
      }
      expected.push({
        mmc: t.name,
        shape: t.shape,
        file,
        fileShape: hfShape(t.shape, move),
        layout: move,
      });
    }
  }
  const unknownKeys = map ? [...map.keys()].filter((k) => !known.has(k)) : [];
  const covered = parts.map((p) => p.part);
  const isOurs = (fileName: string): boolean => {
    if (map) return true;
    if (layout === "mmc") {
      if (MMC_STATE.some((s) => fileName.startsWith(s))) return false;
      if (scope !== "model") return fileName.startsWith(`param.${scope}.`);
      // A model's file: the parts with an `init` of their own take their tensors from it.
      const part = /^param\.(\w+)\./.exec(fileName)?.[1];
      return part === undefined || covered.includes(part as InitPartName) || !isPart(part);
    }
    if (layout === "hf" && scope === "model") {
      const owner = (Object.keys(HF_MODEL_PREFIX) as InitPartName[]).find((p) =>
        fileName.startsWith(HF_MODEL_PREFIX[p]),
      );
      return owner === undefined || covered.includes(owner);
    }
    return true;
  };
  return { expected, unmapped, unknownKeys, isOurs };
}

/** The parts an `init` fills: its own part, or a model's parts that have no `init` of their own. */
export function coveredParts(
  scope: InitScope,
  present: readonly InitPartName[],
  scopes: readonly InitScope[],
): InitPartName[] {
  return scope === "model" ? present.filter((p) => !scopes.includes(p)) : [scope];
}

function isPart(name: string): name is InitPartName {
  return name === "vision" || name === "connector" || name === "llm";
}

/**
 * The file's tensor (in `layout`, shape `fileShape`) in mmc's layout: the inverse of
 * hf-names.ts's `hfShape` (PyTorch [out, in] back to [in, out], filters back to
 * [kh, kw, in, out], the leading axis of 1 dropped). Values are moved, never changed.
 */
export function toMmcLayout(
  data: Float32Array,
  fileShape: readonly number[],
  layout: HfLayout,
): Float32Array {
  if (layout === "same" || layout === "unsqueeze") return data;
  const out = new Float32Array(data.length);
  if (layout === "transpose") {
    const [rows, cols] = fileShape as [number, number]; // [out, in] -> [in, out]
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] as number;
    return out;
  }
  // conv: [o, i, h, w] -> [h, w, i, o]. depthwise: [c, 1, h, w] -> [h, w, c, 1], which with an
  // axis of 1 is the same move.
  const [o, i, h, w] = fileShape as [number, number, number, number];
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          out[((y * w + x) * i + b) * o + a] = data[((a * i + b) * h + y) * w + x] as number;
  return out;
}
