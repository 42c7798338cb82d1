#!/usr/bin/env node
// Draws docs/images/lsp-hover.png and docs/images/lsp-diagnostic.png from the real language
// server: it starts `bin/mmc lsp`, asks for a hover, inlay hints and diagnostics as an editor
// does, and paints the answers over the code as highlighted by the real grammar (render-
// highlight.mjs), in headless Chromium. Nothing in the pictures is typed by hand: the hover
// text, the hints, the squiggle's range and the message are the server's replies.
// Usage: node grammar/render-lsp.mjs [--out-dir docs/images]   (needs `npm run build:cli`)
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { escapeHtml, highlightRows, loadGrammar } from "./render-highlight.mjs";

const require = createRequire(import.meta.url);
const rpc = require("vscode-languageserver-protocol/node");
const { chromium } = require("playwright-core");

const GRAMMAR_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(GRAMMAR_DIR, "..");
const outDir = process.argv.includes("--out-dir")
  ? resolve(process.argv[process.argv.indexOf("--out-dir") + 1])
  : join(REPO_ROOT, "docs", "images");

/** The file the diagnostic picture shows: MM1's connector width mistake (see STYLE.md). */
const BROKEN = `import { ViT } from "std/encoders"
import { CAbstractor } from "std/connectors"
import { Decoder } from "std/llm"

/// CLIP ViT-L/14 at 224 px, a C-Abstractor and a 7B-shaped decoder.
model Mine {
  image: Image[3, 224, 224]
  vision: ViT { patch: 14, width: 1024, depth: 24, heads: 16 }
  connector: CAbstractor { out: 2048, tokens: 144 }
  llm: Decoder { width: 4096, depth: 32, heads: 32 }
}
`;

async function askServer(tiny, brokenPath) {
  const server = spawn(process.execPath, [join(REPO_ROOT, "bin", "mmc"), "lsp", "--stdio"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const conn = rpc.createProtocolConnection(
    new rpc.StreamMessageReader(server.stdout),
    new rpc.StreamMessageWriter(server.stdin),
  );
  const published = new Map();
  const waiters = new Map();
  conn.onNotification(rpc.PublishDiagnosticsNotification.type, (p) => {
    published.set(p.uri, p.diagnostics);
    waiters.get(p.uri)?.(p.diagnostics);
  });
  conn.listen();
  await conn.sendRequest(rpc.InitializeRequest.type, {
    processId: process.pid,
    rootUri: pathToFileURL(REPO_ROOT).href,
    capabilities: {},
  });
  const open = (uri, text) => {
    const done = new Promise((r) => waiters.set(uri, r));
    void conn.sendNotification(rpc.DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "mm", version: 1, text },
    });
    return done;
  };
  const tinyUri = pathToFileURL(tiny.path).href;
  await open(tinyUri, tiny.text);
  const hover = await conn.sendRequest(rpc.HoverRequest.type, {
    textDocument: { uri: tinyUri },
    position: tiny.cursor,
  });
  const hints = await conn.sendRequest(rpc.InlayHintRequest.type, {
    textDocument: { uri: tinyUri },
    range: { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } },
  });
  const brokenUri = pathToFileURL(brokenPath).href;
  const diagnostics = await open(brokenUri, BROKEN);
  await conn.sendRequest(rpc.ShutdownRequest.type);
  await conn.sendNotification(rpc.ExitNotification.type);
  conn.dispose();
  return { hover, hints, diagnostics };
}

/** The little Markdown hovers use: bold, code, lists, tables, paragraphs. */
function markdown(md) {
  const inline = (t) =>
    escapeHtml(t)
      .replace(/`([^`]+)`/g, "<code>$1</code>")
      .replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>")
      .replace(/\*([^*]+)\*/g, "<i>$1</i>");
  const out = [];
  let list = false;
  let table = false;
  for (const line of md.split("\n")) {
    if (!line.startsWith("- ") && list) {
      out.push("</ul>");
      list = false;
    }
    if (!line.startsWith("|") && table) {
      out.push("</table>");
      table = false;
    }
    if (line.startsWith("- ")) {
      if (!list) out.push("<ul>");
      list = true;
      out.push(`<li>${inline(line.slice(2))}</li>`);
    } else if (line.startsWith("|")) {
      if (/^\|[\s-|]+\|$/.test(line)) continue;
      const cells = line
        .slice(1, -1)
        .split("|")
        .map((c) => c.trim());
      out.push(
        `${table ? "" : "<table>"}<tr>${cells.map((c) => `<${table ? "td" : "th"}>${inline(c)}</${table ? "td" : "th"}>`).join("")}</tr>`,
      );
      table = true;
    } else if (line.trim()) out.push(`<p>${inline(line)}</p>`);
  }
  if (list) out.push("</ul>");
  if (table) out.push("</table>");
  return out.join("");
}

const STYLE = `
html,body{margin:0;background:#1E1E1E}
body{display:inline-block}
.code{position:relative;margin:0;padding:18px 22px;font:14px/20px "DejaVu Sans Mono",monospace;color:#D4D4D4;counter-reset:n}
.l{display:block;white-space:pre;height:20px}
.l::before{counter-increment:n;content:counter(n);display:inline-block;width:2.2em;margin-right:1.4em;text-align:right;color:#6E7681}
.at{position:absolute;white-space:pre}
.hint{color:#969696;background:#2D2D2D;border-radius:3px;font-style:italic;padding:0 3px;font-size:13px}
.squiggle{color:transparent;text-decoration:underline wavy #F14C4C;text-decoration-skip-ink:none;text-underline-offset:3px}
.cursor{border-left:2px solid #AEAFAD;margin-right:-2px}
.box{position:absolute;background:#252526;border:1px solid #454545;box-shadow:0 2px 8px rgba(0,0,0,.6);font:13px/19px "DejaVu Sans",sans-serif;color:#CCCCCC;padding:6px 10px;max-width:560px;white-space:normal}
.box p{margin:4px 0}.box ul{margin:4px 0;padding-left:18px}.box code{font-family:"DejaVu Sans Mono",monospace;font-size:12.5px;color:#D7BA7D}
.box table{border-collapse:collapse;margin:4px 0;font-size:12.5px}.box th,.box td{border-bottom:1px solid #3C3C3C;padding:1px 8px 1px 0;text-align:left}
.box .msg{font-family:"DejaVu Sans Mono",monospace;font-size:12.5px;white-space:pre-wrap}
.box .src{color:#8B8B8B;margin-top:6px;font-size:12px}.box .src a{color:#3794FF}
`;

/** Left edge of column `col` inside the code block (gutter 3.6em + padding 22px). */
const left = (col) => `calc(22px + 3.6em + ${col}ch)`;
const top = (line, extra = 0) => `${18 + 20 * line + extra}px`;

function page(rows, firstLine, overlays) {
  return `<!doctype html><meta charset="utf-8"><style>${STYLE}</style><div class="code" style="counter-reset:n ${firstLine}">${rows.map((r) => `<span class="l">${r}</span>`).join("")}${overlays.join("")}</div>`;
}

async function shoot(browser, html, out) {
  const p = await browser.newPage({ deviceScaleFactor: 2, viewport: { width: 1100, height: 400 } });
  await p.setContent(html);
  // Absolutely placed boxes do not size the body: measure everything that was drawn.
  const size = await p.evaluate(() => {
    let right = 0;
    let bottom = 0;
    for (const e of document.querySelectorAll("body *")) {
      const r = e.getBoundingClientRect();
      right = Math.max(right, r.right);
      bottom = Math.max(bottom, r.bottom);
    }
    return { width: Math.ceil(right + 24), height: Math.ceil(bottom + 18) };
  });
  await p.setViewportSize(size);
  await p.screenshot({ path: out, clip: { x: 0, y: 0, ...size } });
  await p.close();
  console.log(`wrote ${out}`);
}

async function main() {
  const tinyPath = join(REPO_ROOT, "examples", "tiny.mm");
  const tinyText = readFileSync(tinyPath, "utf8");
  const lines = tinyText.split("\n");
  const hoverLine = lines.findIndex((l) => l.includes("connector: AvgPool"));
  const cursor = { line: hoverLine, character: lines[hoverLine].indexOf("AvgPool") + 3 };
  const work = mkdtempSync(join(tmpdir(), "mm-lsp-render-"));
  const brokenPath = join(work, "mine.mm");
  writeFileSync(brokenPath, BROKEN);
  const { hover, hints, diagnostics } = await askServer(
    { path: tinyPath, text: tinyText, cursor },
    brokenPath,
  );
  if (!hover) throw new Error("no hover from the server");
  const { grammar, colors } = await loadGrammar();

  // The hover: model Tiny, the cursor on `AvgPool`, the server's inlay hints and hover box.
  const first = lines.findIndex((l) => l.startsWith("model Tiny {"));
  const last = lines.indexOf("}", first);
  const shown = lines.slice(first, last + 1);
  // Inlay hints are drawn inside the line, pushing the rest of it right, as an editor does.
  const inserts = new Map();
  for (const h of hints) {
    if (h.position.line < first || h.position.line > last) continue;
    const label = typeof h.label === "string" ? h.label : h.label.map((p) => p.value).join("");
    const list = inserts.get(h.position.line - first) ?? [];
    list.push({
      column: h.position.character,
      html: `${h.paddingLeft ? " " : ""}<span class="hint">${escapeHtml(label)}</span>`,
    });
    inserts.set(h.position.line - first, list);
  }
  const cursorAt = { column: cursor.character, html: '<span class="cursor"></span>' };
  inserts.set(cursor.line - first, [...(inserts.get(cursor.line - first) ?? []), cursorAt]);
  const rows = highlightRows(shown.join("\n"), grammar, colors, inserts);
  const overlays = [];
  const range = hover.range;
  overlays.push(
    `<div class="box" style="left:${left(range.start.character)};top:${top(range.start.line - first, 22)}">${markdown(hover.contents.value)}</div>`,
  );
  mkdirSync(outDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROME ?? "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  try {
    await shoot(browser, page(rows, first, overlays), join(outDir, "lsp-hover.png"));

    // The diagnostic: its squiggle under the range, and the message box VS Code shows on hover.
    const d = diagnostics.find((x) => x.severity === 1);
    if (!d) throw new Error("the server reported no error for the broken file");
    const brows = highlightRows(BROKEN, grammar, colors);
    const bl = BROKEN.split("\n");
    const r = d.range;
    const marks = [
      `<span class="at squiggle" style="left:${left(r.start.character)};top:${top(r.start.line)}">${escapeHtml(bl[r.start.line].slice(r.start.character, r.end.character))}</span>`,
      ...(d.relatedInformation ?? []).map(
        (ri) =>
          `<span class="at squiggle" style="left:${left(ri.location.range.start.character)};top:${top(ri.location.range.start.line)};text-decoration-color:#3794FF;text-decoration-style:dotted">${escapeHtml(bl[ri.location.range.start.line].slice(ri.location.range.start.character, ri.location.range.end.character))}</span>`,
      ),
    ];
    const related = (d.relatedInformation ?? [])
      .map(
        (ri) =>
          `<div class="src">${escapeHtml(`mine.mm(${ri.location.range.start.line + 1}, ${ri.location.range.start.character + 1}): ${ri.message}`)}</div>`,
      )
      .join("");
    // The box goes below the code so that the related line (the `llm`) stays in view.
    marks.push(
      `<div class="box" style="left:${left(Math.max(0, r.start.character - 20))};top:${top(bl.length - 1, 6)}"><div class="msg">${escapeHtml(d.message)}</div><div class="src">${escapeHtml(d.source)}(<a>${escapeHtml(String(d.code))}</a>)</div>${related}</div>`,
    );
    await shoot(browser, page(brows, 0, marks), join(outDir, "lsp-diagnostic.png"));
  } finally {
    await browser.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
