// Point folder names: built from the user's axis labels, so made safe here. A name is `p<i>-`
// and a slug of the labels (only [a-z0-9-], bounded), unique in the sweep, and always one plain
// path segment, so a point folder cannot leave its sweep folder.

/** Longest slug after the `p<i>-` prefix: folder names stay well under every file system's limit. */
export const MAX_SLUG = 48;

/** `AvgPool { tokens: 16 }`, `Image[3, 64, 64]` -> `avgpool-tokens-16-image-3-64-64`. */
export function slug(labels: readonly string[]): string {
  const words = labels
    .join(" ")
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (words.length <= MAX_SLUG) return words;
  return words.slice(0, MAX_SLUG).replace(/-+$/, "");
}

/**
 * One folder name per point, `p0-avgpool-tokens-16`, in the points' order. The index makes them
 * unique; a clash left anyway (it cannot happen with distinct indexes) gets a counter.
 */
export function pointDirs(labels: readonly (readonly string[])[]): string[] {
  const taken = new Set<string>();
  return labels.map((l, i) => {
    const s = slug(l);
    const base = s === "" ? `p${i}` : `p${i}-${s}`;
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
    taken.add(name);
    return name;
  });
}

/** Whether `name` is a folder name pointDirs could have written (for names read back). */
export function isPointDir(name: string): boolean {
  return /^p\d{1,6}(-[a-z0-9-]{0,64})?$/.test(name);
}
