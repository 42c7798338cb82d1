// Expands a VS Code snippet body to the text a user gets by accepting every default, so the
// tests can lex and highlight what the snippets actually insert.

/** Expands tab stops, placeholders (`${1:default}`, nested too) and choices (`${1|a,b|}`). */
export function expandSnippet(body: string | string[]): string {
  const text = Array.isArray(body) ? body.join("\n") : body;
  const defaults = new Map<string, string>();
  let i = 0;

  function parse(insidePlaceholder: boolean): string {
    let out = "";
    while (i < text.length) {
      const c = text[i] ?? "";
      if (c === "\\" && i + 1 < text.length && "$}\\".includes(text[i + 1] ?? "")) {
        out += text[i + 1];
        i += 2;
      } else if (c === "}" && insidePlaceholder) {
        return out;
      } else if (c === "$") {
        out += parseDollar();
      } else {
        out += c;
        i += 1;
      }
    }
    if (insidePlaceholder) throw new Error("unclosed `${` in snippet");
    return out;
  }

  function parseDollar(): string {
    const plain = /^\$(\d+)/.exec(text.slice(i));
    if (plain?.[1]) {
      i += plain[0].length;
      return defaults.get(plain[1]) ?? "";
    }
    const head = /^\$\{(\d+)([:|}])/.exec(text.slice(i));
    if (!head?.[1]) throw new Error(`unsupported snippet syntax at \`${text.slice(i, i + 12)}\``);
    const index = head[1];
    i += head[0].length;
    if (head[2] === "}") return defaults.get(index) ?? "";
    if (head[2] === "|") {
      const end = text.indexOf("|}", i);
      if (end < 0) throw new Error("unclosed choice in snippet");
      const first = text.slice(i, end).split(",")[0] ?? "";
      i = end + 2;
      defaults.set(index, first);
      return first;
    }
    const value = parse(true);
    i += 1; // the closing brace
    if (!defaults.has(index)) defaults.set(index, value);
    return value;
  }

  return parse(false);
}
