// `mmc explain CODE`: print the long-form page for a diagnostic code from docs/errors/.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { allCodes, codeInfo, retiredInfo } from "../../diagnostics/codes.js";
import { suggest } from "../../diagnostics/suggest.js";
import { parseArgs, UsageError } from "../args.js";
import { PACKAGE_ROOT } from "../host.js";
import type { Command } from "../commands.js";

export const explainCommand: Command = {
  name: "explain",
  summary: "print the long-form explanation of a diagnostic code",
  usage: "usage: mmc explain CODE        (for example `mmc explain MM2001`)",
  async run(argv, io) {
    const args = parseArgs(argv, { values: [], switches: ["no-color", "trace"] });
    const raw = args.positionals[0];
    if (!raw) throw new UsageError("`mmc explain` needs a code, e.g. `mmc explain MM2001`");
    const code = /^\d+$/.test(raw) ? `MM${raw}` : raw.toUpperCase();
    if (!codeInfo(code) && !retiredInfo(code)) {
      const hint = suggest(
        code,
        allCodes().map((c) => c.code),
      );
      throw new UsageError(
        `unknown diagnostic code \`${raw}\`${hint ? `; did you mean \`${hint}\`?` : ""}`,
      );
    }
    let page: string;
    try {
      page = readFileSync(join(PACKAGE_ROOT, "docs", "errors", `${code}.md`), "utf8");
    } catch {
      throw new Error(`the page docs/errors/${code}.md is missing from this installation`);
    }
    io.stdout(page.endsWith("\n") ? page : `${page}\n`);
    return 0;
  },
};
