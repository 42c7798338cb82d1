#!/usr/bin/env node
// Bundles the extension's code with esbuild (offline, from node_modules): dist/extension.cjs is
// the client (vscode-languageclient inside; `vscode` is the editor's), dist/server.mjs is the
// whole language server in one file, so the .vsix needs no install step.
// Usage: node grammar/build-extension.mjs
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const GRAMMAR_DIR = dirname(fileURLToPath(import.meta.url));
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  logLevel: "warning",
  legalComments: "none",
};

export async function buildExtension() {
  await build({
    ...common,
    entryPoints: [join(GRAMMAR_DIR, "src", "extension.ts")],
    outfile: join(GRAMMAR_DIR, "dist", "extension.cjs"),
    format: "cjs",
    external: ["vscode"],
  });
  await build({
    ...common,
    entryPoints: [join(GRAMMAR_DIR, "src", "server.mts")],
    outfile: join(GRAMMAR_DIR, "dist", "server.mjs"),
    format: "esm",
    // Bundled CommonJS (the protocol packages) requires Node's modules through `require`.
    banner: {
      js: "import { createRequire as __mmcCreateRequire } from 'node:module'; const require = __mmcCreateRequire(import.meta.url);",
    },
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildExtension();
