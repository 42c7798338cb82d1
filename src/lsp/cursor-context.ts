// Where the cursor is, read from the text alone (a line being typed rarely parses): a small
// scanner skips strings and comments, keeps the stack of open brackets with the words in front of
// each, and the keys already written in each body, then says whether the cursor is at a key
// (`wid|`), at a value (`norm: r|`) or at the top level.

export interface Opener {
  readonly bracket: "{" | "[" | "(";
  /** Words of the statement before the bracket: `["connector", ":", "AvgPool"]`, `["model", "Tiny"]`. */
  readonly head: readonly string[];
  /** Keys written directly in this body (`name:` at its own depth), before and after the cursor. */
  readonly keys: Set<string>;
}

export type CursorContext =
  | { readonly t: "top"; readonly words: readonly string[]; readonly prefix: string }
  | { readonly t: "key"; readonly stack: readonly Opener[]; readonly prefix: string }
  | {
      readonly t: "value";
      readonly stack: readonly Opener[];
      readonly key: string;
      readonly prefix: string;
    }
  | { readonly t: "none" };

const WORD = /[A-Za-z0-9_.]/;

interface Scan {
  stack: (Opener & { statement: string[] })[];
  top: string[];
}

/** Scans `text`; at `cursor` it takes a snapshot of the open brackets and the current statement. */
export function cursorContext(text: string, cursor: number): CursorContext {
  const s: Scan = { stack: [], top: [] };
  let snapshot:
    { stack: Opener[]; statement: string[]; depth: number; inString: boolean } | undefined;
  let i = 0;
  const statement = () => (s.stack.length ? s.stack[s.stack.length - 1]!.statement : s.top);
  const take = (inString: boolean) => {
    if (snapshot === undefined)
      snapshot = {
        stack: [...s.stack],
        statement: [...statement()],
        depth: s.stack.length,
        inString,
      };
  };
  while (i < text.length) {
    if (i >= cursor) take(false);
    // After the cursor only the keys of the open bodies matter: stop when they are all closed.
    if (snapshot && s.stack.length < snapshot.depth && s.stack.length === 0) break;
    const c = text[i]!;
    if (c === "/" && text[i + 1] === "/") {
      const nl = text.indexOf("\n", i);
      if (cursor > i && (nl === -1 || cursor <= nl)) take(true);
      i = nl === -1 ? text.length : nl;
      continue;
    }
    if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? text.length : end + 2;
      if (cursor > i && cursor < stop) take(true);
      i = stop;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      if (cursor > i && cursor <= j) take(true);
      statement().push('"');
      i = j + 1;
      continue;
    }
    if (c === "{" || c === "[" || c === "(") {
      const head = trimHead(statement());
      s.stack.push({ bracket: c, head, keys: new Set(), statement: [] });
      i++;
      continue;
    }
    if (c === "}" || c === "]" || c === ")") {
      s.stack.pop();
      statement().push(c);
      i++;
      continue;
    }
    if (c === "\n" || c === ",") {
      // A new statement starts, except where a statement obviously goes on (`x:` then a value on the next line).
      const st = statement();
      if (c === "," || !(st.length && st[st.length - 1] === ":")) st.length = 0;
      i++;
      continue;
    }
    if (c === ":") {
      const st = statement();
      const key = st[st.length - 1];
      const open = s.stack[s.stack.length - 1];
      if (key && open && st.length === 1) open.keys.add(key);
      st.push(":");
      i++;
      continue;
    }
    if (WORD.test(c)) {
      let j = i;
      while (j < text.length && WORD.test(text[j]!)) j++;
      statement().push(text.slice(i, j));
      i = j;
      continue;
    }
    if (!/\s/.test(c)) statement().push(c);
    i++;
  }
  take(false);
  const snap = snapshot!;
  if (snap.inString) return { t: "none" };
  // The word being typed: the part of the cursor's statement that touches the cursor.
  const before = text.slice(0, cursor);
  const prefix = /[A-Za-z0-9_.]*$/.exec(before)?.[0] ?? "";
  const words = [...snap.statement];
  if (prefix && words[words.length - 1] === prefix) words.pop();
  // A word cut by the cursor was read whole; keep only what is before the cursor.
  if (prefix && words.length && prefix.startsWith(words[words.length - 1] ?? "\0")) words.pop();
  const open = snap.stack[snap.stack.length - 1];
  if (!open) return { t: "top", words, prefix };
  if (open.bracket !== "{" || words.includes(":")) {
    const colon = words.lastIndexOf(":");
    const key =
      colon > 0
        ? words
            .slice(0, colon)
            .filter((w) => w !== "vary")
            .join("")
        : (open.head[open.head.indexOf(":") - 1] ?? "");
    return { t: "value", stack: snap.stack, key, prefix };
  }
  if (words.length === 0) return { t: "key", stack: snap.stack, prefix };
  return { t: "none" };
}

/** The words that matter before a bracket: from the last `:` back to the key, or the declaration head. */
function trimHead(statement: readonly string[]): string[] {
  return statement.slice(-6);
}
