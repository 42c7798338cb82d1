// The language server as the extension ships it: `mmc lsp` in one file (dist/server.mjs), with
// the standard library and the error pages packed beside it (see package-vsix.mjs).
import { runLspServer } from "../../src/cli/commands/lsp.js";

await runLspServer();
