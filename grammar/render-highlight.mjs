#!/usr/bin/env node
// Draws highlighted .mm code to a PNG for the docs, using the real TextMate engine with a Dark+
// style theme and headless Chromium for the pixels (Debian: apt-get install chromium).
// Usage: node grammar/render-highlight.mjs [--in FILE.mm] [--out FILE.png] [--html FILE.html]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const oniguruma = require("vscode-oniguruma");
const textmate = require("vscode-textmate");

const GRAMMAR_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(GRAMMAR_DIR, "..");

/** Dark+ colours for the standard scopes the grammar uses, resolved by vscode-textmate's theme rules. */
const THEME = {
  name: "dark-plus-subset",
  settings: [
    { settings: { foreground: "#D4D4D4", background: "#1E1E1E" } },
    { scope: "comment", settings: { foreground: "#6A9955" } },
    {
      scope: "comment.line.documentation",
      settings: { foreground: "#6A9955", fontStyle: "italic" },
    },
    { scope: "markup.inline.raw", settings: { foreground: "#CE9178" } },
    { scope: "string", settings: { foreground: "#CE9178" } },
    { scope: "constant.character.escape", settings: { foreground: "#D7BA7D" } },
    { scope: "constant.other.placeholder", settings: { foreground: "#9CDCFE" } },
    { scope: ["constant.numeric", "keyword.other.unit"], settings: { foreground: "#B5CEA8" } },
    {
      scope: ["keyword", "storage.type", "constant.language"],
      settings: { foreground: "#569CD6" },
    },
    { scope: "keyword.control", settings: { foreground: "#C586C0" } },
    { scope: "keyword.operator", settings: { foreground: "#D4D4D4" } },
    {
      scope: ["entity.name.type", "support.class", "entity.other.inherited-class"],
      settings: { foreground: "#4EC9B0" },
    },
    { scope: ["entity.name.function", "support.function"], settings: { foreground: "#DCDCAA" } },
    { scope: ["variable", "variable.other.property"], settings: { foreground: "#9CDCFE" } },
    { scope: "invalid", settings: { foreground: "#F44747" } },
  ],
};

function parseArgs(argv) {
  const args = {
    in: join(REPO_ROOT, "test", "grammar", "fixtures", "showcase.mm"),
    out: join(REPO_ROOT, "docs", "images", "highlight.png"),
    html: undefined,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, "");
    if (!["in", "out", "html"].includes(key) || argv[i + 1] === undefined) {
      console.error(
        "usage: render-highlight.mjs [--in FILE.mm] [--out FILE.png] [--html FILE.html]",
      );
      process.exit(2);
    }
    args[key] = resolve(argv[i + 1]);
  }
  return args;
}

export async function loadGrammar() {
  await oniguruma.loadWASM(readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== "source.mm") return null;
      const path = join(GRAMMAR_DIR, "mm.tmLanguage.json");
      return textmate.parseRawGrammar(readFileSync(path, "utf8"), path);
    },
    theme: THEME,
  });
  return { grammar: await registry.loadGrammar("source.mm"), colors: registry.getColorMap() };
}

export const escapeHtml = (text) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * One <span> per token, coloured as VS Code would: metadata bits 15-23 index the colour map.
 * `inserts` (line index -> [{ column, html }]) puts extra HTML between characters, as an editor
 * draws inlay hints.
 */
export function highlightRows(source, grammar, colors, inserts = new Map()) {
  let stack = textmate.INITIAL;
  return source
    .replace(/\n$/, "")
    .split(/\r?\n/)
    .map((line, index) => {
      const result = grammar.tokenizeLine2(line, stack);
      stack = result.ruleStack;
      const extra = [...(inserts.get(index) ?? [])].sort((a, b) => a.column - b.column);
      let html = "";
      for (let k = 0; k < result.tokens.length; k += 2) {
        const start = result.tokens[k];
        const end = k + 2 < result.tokens.length ? result.tokens[k + 2] : line.length;
        const meta = result.tokens[k + 1];
        const color = colors[(meta >>> 15) & 0x1ff];
        const italic = ((meta >>> 11) & 0xf & 1) !== 0 ? "font-style:italic;" : "";
        let at = start;
        for (const x of extra.filter((e) => e.column > start && e.column <= end)) {
          html += `<span style="color:${color};${italic}">${escapeHtml(line.slice(at, x.column))}</span>${x.html}`;
          at = x.column;
        }
        html += `<span style="color:${color};${italic}">${escapeHtml(line.slice(at, end))}</span>`;
      }
      for (const x of extra.filter(
        (e) => e.column > line.length || (line.length === 0 && e.column === 0),
      ))
        html += x.html;
      return html;
    });
}

function renderHtml(source, grammar, colors) {
  const rows = highlightRows(source, grammar, colors);
  const background = colors[2] ?? "#1E1E1E";
  return {
    lines: rows.length,
    columns: Math.max(...source.split(/\r?\n/).map((l) => l.length)),
    html: `<!doctype html><meta charset="utf-8"><style>
html,body{margin:0;background:${background}}
pre{margin:0;padding:18px 22px;font:14px/20px "DejaVu Sans Mono",Menlo,Consolas,monospace;color:${colors[1]};counter-reset:n}
.l{display:block;white-space:pre}
.l::before{counter-increment:n;content:counter(n);display:inline-block;width:2.2em;margin-right:1.4em;text-align:right;color:#6E7681}
</style><pre>${rows.map((r) => `<span class="l">${r}</span>`).join("")}</pre>`,
  };
}

function findChromium() {
  for (const name of [process.env.CHROME, "chromium", "chromium-browser", "google-chrome"].filter(
    Boolean,
  )) {
    if (!spawnSync(name, ["--version"]).error) return name;
  }
  console.error(
    "render-highlight: no Chromium found (set CHROME, or on Debian: apt-get install chromium)",
  );
  process.exit(1);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { grammar, colors } = await loadGrammar();
  const page = renderHtml(readFileSync(args.in, "utf8"), grammar, colors);
  if (args.html) writeFileSync(args.html, page.html);

  const work = mkdtempSync(join(tmpdir(), "mm-render-"));
  try {
    const htmlPath = join(work, "code.html");
    writeFileSync(htmlPath, page.html);
    // 8.43 px per DejaVu Sans Mono glyph at 14 px, plus the line-number gutter and padding.
    const width = Math.ceil(44 + 8.43 * (page.columns + 6)) + 8;
    const height = 36 + 20 * page.lines;
    mkdirSync(dirname(args.out), { recursive: true });
    execFileSync(
      findChromium(),
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--force-device-scale-factor=2",
        `--user-data-dir=${join(work, "profile")}`,
        `--window-size=${width},${height}`,
        `--screenshot=${args.out}`,
        pathToFileURL(htmlPath).href,
      ],
      { stdio: "pipe" },
    );
    console.log(`wrote ${args.out} (${page.lines} lines, ${width}x${height} css px at 2x)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// Run as a program (not when render-lsp.mjs imports the highlighter).
if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main();
