// The README's commands, run as written: the quickstart block is exactly the two documented
// commands (CI runs them literally: `.ci/run` installs with `npm ci`, runs the main job and then
// `npm test`), and every other `npx mmc` line in the README exits 0.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { mmc, ROOT } from "./run-mmc.js";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe("README", () => {
  test("the quickstart is one install-and-run command and one test command", () => {
    const quick = readme.split("## Quickstart")[1]!.split("```sh\n")[1]!.split("```")[0]!;
    expect(quick.trim().split("\n")).toEqual([
      "npm ci && npx mmc run examples/tiny.mm",
      "npm test",
    ]);
    const ci = readFileSync(join(ROOT, ".ci", "run"), "utf8");
    expect(ci).toContain("npm ci");
    expect(ci).toContain("npx mmc run examples/tiny.mm");
    expect(ci).toContain("npm test");
  });

  const commands = blocks
    .flatMap((b) => b.split("\n"))
    .map((l) => l.replace(/#.*$/, "").trim())
    .filter((l) => l.startsWith("npx mmc ") && !l.startsWith("npx mmc run"));

  test("lists commands to try", () => expect(commands.length).toBeGreaterThanOrEqual(4));

  test.each(commands)("`%s` exits 0", (line) => {
    const args = line.replace(/^npx mmc /, "").split(/\s+/);
    const r = mmc(args);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
