// Hostile and huge inputs through the real `bin/mmc`: a 1 MB line, sizes past every real model,
// terminal escapes in a spec, paths that are devices, pipes, links, absolute or hold NUL. Each
// ends with a clear message and exit 1 (or 2 for the file named on the command line), never a
// hang, a flood, a raw escape on the terminal or exit 70.
import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT, mmc } from "./run-mmc.js";

const tmp = mkdtempSync(join(tmpdir(), "mmc-hostile-"));
const write = (name: string, text: string): string => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const tiny = readFileSync(join(ROOT, "examples", "tiny.mm"), "utf8");
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

describe("large inputs stay bounded", () => {
  test("a 1 MB line of repeated declarations: 50 diagnostics in a window each, the rest counted", () => {
    const file = write("long-line.mm", "model M { } ".repeat(90_000) + "\n");
    const r = mmc(["check", file]);
    expect(r.status).toBe(1);
    expect(r.stderr.length).toBeLessThan(50_000);
    expect(r.stderr.match(/^error\[MM2002\]/gm)).toHaveLength(50);
    expect(r.stderr).toContain("... and 89949 more errors not shown");
    expect(r.stderr).toContain("89999 errors");
  });

  test("a 1 MB file of stray characters stops at 100 syntax errors and says so", () => {
    const r = mmc(["check", write("junk.mm", "@ ".repeat(500_000))]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("mmc stopped after 100 syntax errors in this file");
    expect(r.stderr).toContain("100 errors");
  });

  test("`depth: 1000000` is refused with the reason, not counted for seconds", () => {
    const file = write(
      "deep.mm",
      'import { Decoder } from "std/llm"\nmodel M { llm: Decoder { depth: 1000000 } }\n',
    );
    const r = mmc(["check", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "`depth` 1000000 is more than 4096, the most mmc accepts (the deepest published transformers have about 1,000 layers)",
    );
  });

  test("`width: 1e308` is refused, so `mmc info` never prints infinite parameters", () => {
    const file = write(
      "wide.mm",
      'import { Decoder } from "std/llm"\nmodel M { llm: Decoder { width: 1e308, heads: 1 } }\n',
    );
    const r = mmc(["info", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("`width` 1e+308 is more than 262,144");
    expect(r.stdout + r.stderr).not.toMatch(/Infinity|∞|NaN/);
  });

  test("a 100-digit `steps` is an error, not a rounded number", () => {
    const r = mmc([
      "check",
      write("steps.mm", tiny.replace("steps: 1000,", `steps: ${"9".repeat(100)},`)),
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[MM1005]");
    expect(r.stderr).toContain("the largest whole number mmc reads exactly");
  });
});

describe("deep chains end with MM2019, not a stack overflow (exit 70)", () => {
  test("imports 250 files deep", () => {
    const dir = join(tmp, "chain");
    mkdirSync(dir);
    for (let i = 0; i < 250; i++)
      writeFileSync(
        join(dir, `f${i}.mm`),
        `import { X${i + 1} } from "./f${i + 1}.mm"\nllm X${i} = X${i + 1} { }\n`,
      );
    writeFileSync(
      join(dir, "f250.mm"),
      'import { Decoder } from "std/llm"\nllm X250 = Decoder { width: 64, heads: 4 }\n',
    );
    const r = mmc(["check", join(dir, "f0.mm")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[MM2019]: imports are nested more than 200 files deep");
  });

  test("a train variant of a variant of ..., 20,000 deep, is refused once", () => {
    const chain = Array.from(
      { length: 20_000 },
      (_, i) => `train t${i + 1} = ${i === 0 ? "tiny" : `t${i}`} { steps: ${i + 500} }`,
    ).join("\n");
    const r = mmc(["check", write("trains.mm", `${tiny}\n${chain}\n`)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "error[MM2019]: `t201` is built on a chain of more than 200 declarations",
    );
    expect(r.stderr).toContain("\n1 error\n");
  });
});

describe("the terminal gets no raw control characters", () => {
  const file = write(
    "ansi.mm",
    'import { Decoder } from "std/llm"\n/// doc \x1b]0;pwned\x07\nmodel M { llm: Decoder { width: "\x1b[31m\u202ered" } }\n',
  );

  test.each(["rich", "short", "json"])("--format %s", (format) => {
    const r = mmc(["check", file, "--format", format], { env: { FORCE_COLOR: "0" } });
    expect(r.status).toBe(1);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stderr).not.toMatch(RAW);
  });

  test("a direction override in a comment is an error", () => {
    const r = mmc(["check", write("bidi.mm", "// a \u202e comment\n")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "error[MM1007]: unicode codepoint changing visible direction of text present in a comment",
    );
  });
});

describe("paths say what they mean", () => {
  test("an absolute import of an existing file resolves", () => {
    const lib = write(
      "lib.mm",
      'import { Decoder } from "std/llm"\nllm L = Decoder { width: 64, heads: 4 }\n',
    );
    const r = mmc(["check", write("abs.mm", `import { L } from "${lib}"\nmodel M { llm: L }\n`)]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  test("an import of a link to a device says what it is", () => {
    symlinkSync("/dev/null", join(tmp, "null.mm"));
    const r = mmc(["check", write("dev.mm", 'import { X } from "./null.mm"\n')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "imported file `./null.mm` is a link to `/dev/null`, which is a character device, not a `.mm` file",
    );
  });

  test("a link to /dev/zero named on the command line is refused without reading it", () => {
    symlinkSync("/dev/zero", join(tmp, "zero.mm"));
    const r = mmc(["check", join(tmp, "zero.mm")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      "is a link to `/dev/zero`, which is a character device, not a `.mm` file",
    );
  });

  test("a FIFO named on the command line is refused without opening it", () => {
    const fifo = join(tmp, "pipe.mm");
    execFileSync("mkfifo", [fifo]);
    const r = mmc(["check", fifo]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("is a FIFO (named pipe), not a `.mm` file");
  });

  test("a file past 32 MiB is refused before it is read", () => {
    const big = join(tmp, "big.mm");
    writeFileSync(big, "");
    truncateSync(big, 40 * 2 ** 20);
    const r = mmc(["check", big]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("is 40 MiB, more than the 32 MiB mmc reads as a spec");
  });

  test("an absolute `checkpoint.dir` is refused, not written under the spec's folder", () => {
    const r = mmc(["check", write("ckpt.mm", tiny.replace('dir: "runs/tiny" }', 'dir: "/etc" }'))]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[MM2016]: `checkpoint.dir` is an absolute path");
  });

  test("a NUL byte in a spec's path is exit 1 at compile time, never exit 70 at run time", () => {
    const spec = write(
      "nul.mm",
      tiny.replace('synthesize: "data/synth"', 'synthesize: "data/\\0synth"'),
    );
    const r = mmc(["compile", spec, "--out", join(tmp, "out")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[MM2017]: `synthesize` holds a NUL byte");
  });
});
