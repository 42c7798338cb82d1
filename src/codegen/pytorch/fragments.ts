// The static Python of the PyTorch target: the files in py/ (one per kind, plus the shared
// blocks, the composed model, weights and counting) are fragments of one model.py. Each opens
// with role comments and its imports; assembling merges the imports and keeps the bodies whole.

/** Fragment files in model.py order; a kind's fragment is included only when the spec uses it. */
export const FRAGMENTS = [
  "common.py",
  "vit.py",
  "avg_pool.py",
  "attn_pool.py",
  "c_abstractor.py",
  "mlp_projector.py",
  "moe.py",
  "decoder.py",
  "multimodal.py",
  "weights.py",
  "counting.py",
] as const;

export type FragmentName = (typeof FRAGMENTS)[number];

/** The fragment that defines each component kind's module. */
export const KIND_FRAGMENT: Readonly<Record<string, FragmentName>> = {
  ViT: "vit.py",
  AvgPool: "avg_pool.py",
  AttnPool: "attn_pool.py",
  CAbstractor: "c_abstractor.py",
  MLPProjector: "mlp_projector.py",
  MoE: "moe.py",
  Decoder: "decoder.py",
};

/** Fragments every model.py has. */
export const ALWAYS: readonly FragmentName[] = [
  "common.py",
  "multimodal.py",
  "weights.py",
  "counting.py",
];

export interface Fragment {
  readonly name: string;
  /** The leading comment lines (the file's role), kept as the section's heading. */
  readonly role: readonly string[];
  readonly imports: readonly string[];
  readonly body: string;
}

const IMPORT = /^(import [\w.]+( as \w+)?|from [\w.]+ import [\w, ]+)$/;

/** Splits a fragment's text; a fragment that does not open as described is an mmc bug. */
export function parseFragment(name: string, text: string): Fragment {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const role: string[] = [];
  const imports: string[] = [];
  let i = 0;
  for (; i < lines.length && lines[i]!.startsWith("#"); i++) role.push(lines[i]!);
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    if (!IMPORT.test(line)) break;
    imports.push(line);
  }
  if (role.length === 0) throw new Error(`internal: py/${name} has no role comment`);
  const body = lines.slice(i).join("\n").trim();
  return { name, role, imports, body };
}

/** Modules that are not Python's own: grouped after the standard library (PEP 8). */
const THIRD_PARTY = new Set(["numpy", "torch"]);

function root(line: string): string {
  return line.split(" ")[1]!.split(".")[0]!;
}

/** Imports merged and ordered as isort would: standard library, then third party. */
export function mergeImports(fragments: readonly Fragment[]): string {
  const all = [...new Set(fragments.flatMap((f) => f.imports))];
  const order = (a: string, b: string): number => {
    const fa = a.startsWith("from ") ? 1 : 0;
    const fb = b.startsWith("from ") ? 1 : 0;
    return fa - fb || (a < b ? -1 : a > b ? 1 : 0);
  };
  const std = all.filter((l) => !THIRD_PARTY.has(root(l))).sort(order);
  const third = all.filter((l) => THIRD_PARTY.has(root(l))).sort(order);
  return [std, third]
    .filter((g) => g.length > 0)
    .map((g) => g.join("\n"))
    .join("\n\n");
}

/** A fragment's section of model.py: a rule, its role comments, its body. */
export function section(f: Fragment): string {
  const rule = `# ${"-".repeat(4)} ${f.name} ${"-".repeat(Math.max(4, 91 - f.name.length))}`;
  return `${rule}\n${f.role.join("\n")}\n\n\n${f.body}`;
}
