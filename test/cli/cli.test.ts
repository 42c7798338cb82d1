// The command line as a user meets it: exit codes, stdout vs stderr, JSON shape, help and explain.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { mmc } from "./run-mmc.js";

const tmp = mkdtempSync(join(tmpdir(), "mmc-cli-"));
const broken = join(tmp, "broken.mm");
writeFileSync(broken, "model Tiny {\n  image: Image[3, 64, 64] @\n}\ntrain t { steps: 3Mx }\n");
const clean = join(tmp, "clean.mm");
writeFileSync(clean, 'data D {\n  text: 100% jsonl("t.jsonl", field: "text")\n}\n');

describe("mmc check", () => {
  test("a clean file exits 0 and says ok on stdout", () => {
    const r = mmc(["check", clean]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("ok");
    expect(r.status).toBe(0);
  });

  test("errors go to stderr in rich form and exit 1", () => {
    const r = mmc(["check", broken]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("error[MM1001]: unexpected character `@`");
    expect(r.stderr).toContain("error[MM1005]");
    expect(r.stderr).toMatch(/--> .*broken\.mm:2:27/);
    expect(r.stderr).toContain("2 errors");
  });

  test("--format short prints one line per diagnostic", () => {
    const r = mmc(["check", broken, "--format", "short"]);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/broken\.mm:2:27: error\[MM1001\]: unexpected character `@`$/);
  });

  test("--format json prints an array of diagnostics on stdout", () => {
    const r = mmc(["check", broken, "--format=json"]);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(out).toHaveLength(2);
    const first = out[0]!;
    expect(Object.keys(first).sort()).toEqual(
      [
        "code",
        "column",
        "end",
        "file",
        "help",
        "labels",
        "line",
        "message",
        "notes",
        "severity",
        "start",
      ].sort(),
    );
    expect(first).toMatchObject({
      code: "MM1001",
      severity: "error",
      line: 2,
      column: 27,
      start: 39,
      end: 40,
    });
    expect(Array.isArray(first["labels"])).toBe(true);
  });

  test("a clean file in json mode prints an empty array", () => {
    const r = mmc(["check", clean, "--format", "json"]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  test("colour appears only when asked, and NO_COLOR wins", () => {
    const colored = mmc(["check", broken], { env: { NO_COLOR: "", FORCE_COLOR: "1" } });
    expect(colored.stderr).toContain("\x1b[");
    const plain = mmc(["check", broken], { env: { NO_COLOR: "1", FORCE_COLOR: "1" } });
    expect(plain.stderr).not.toContain("\x1b[");
  });

  test("a missing file is a usage error (exit 2) with one clear line", () => {
    const r = mmc(["check", join(tmp, "nope.mm")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: `.*nope\.mm` does not exist\n$/);
  });

  test("a directory is a usage error", () => {
    const r = mmc(["check", tmp]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("is a directory");
  });

  test("no file is a usage error", () => {
    const r = mmc(["check"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("needs a file");
  });

  test("runs from any folder", () => {
    const r = mmc(["check", "clean.mm"], { cwd: tmp });
    expect(r.status).toBe(0);
  });
});

describe("usage", () => {
  test("--help and --version", () => {
    const help = mmc(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("usage: mmc <command>");
    const v = mmc(["--version"]);
    expect(v.stdout).toMatch(/^mmc \d+\.\d+\.\d+\n$/);
  });

  test("an unknown command suggests the closest one and exits 2", () => {
    const r = mmc(["chek", "x.mm"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("did you mean `check`?");
  });

  test("an unknown option exits 2", () => {
    const r = mmc(["check", "x.mm", "--bogus"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option `--bogus`");
  });

  test("a bad --format value exits 2", () => {
    const r = mmc(["check", "x.mm", "--format", "xml"]);
    expect(r.status).toBe(2);
  });
});

describe("mmc explain", () => {
  test("prints the page for a code", () => {
    const r = mmc(["explain", "MM2001"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^# MM2001: unknown name/);
  });

  test("accepts the bare number and lower case", () => {
    expect(mmc(["explain", "mm1002"]).stdout).toContain("# MM1002");
  });

  test("an unknown code is a usage error with a suggestion", () => {
    const r = mmc(["explain", "MM2O01"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown diagnostic code");
  });
});

describe("internal errors", () => {
  test("print one line, exit 70, no stack trace", () => {
    const r = mmc(["check", "x.mm"], { env: { MMC_FAULT: "internal" } });
    expect(r.status).toBe(70);
    expect(r.stderr).toMatch(/^internal error: injected fault/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test("--trace shows the stack", () => {
    const r = mmc(["check", "x.mm", "--trace"], { env: { MMC_FAULT: "internal" } });
    expect(r.status).toBe(70);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe("cold start", () => {
  test("`mmc check` loads neither tfjs, ts-morph nor prettier", () => {
    const dir = join(import.meta.dirname, "..", "..", "dist", "bundle");
    const seen = new Set<string>();
    const heavy: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(join(dir, file), "utf8");
      // Static imports only: dynamic `import("...")` is loaded on demand.
      for (const m of text.matchAll(
        /^import\s[^;]*?from\s*"([^"]+)";?$|^import\s*"([^"]+)";?$/gm,
      )) {
        const spec = m[1] ?? m[2] ?? "";
        if (spec.startsWith("./")) visit(spec.slice(2));
        else if (/^(@tensorflow|ts-morph|prettier|typescript|pngjs|jpeg-js)/.test(spec))
          heavy.push(`${file} -> ${spec}`);
      }
    };
    visit("main.js");
    expect(heavy).toEqual([]);
  });
});
