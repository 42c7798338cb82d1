// `mmc fmt` as a user runs it: rewriting in place, --check, standard input, folders, errors.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { MMC, mmc } from "../cli/run-mmc.js";

const MESSY = "model   M{a:1,\n      b :2 }\n";
const TIDY = "model M {\n  a: 1\n  b: 2\n}\n";

function folder(): string {
  return mkdtempSync(join(tmpdir(), "mmc-fmt-"));
}

function withStdin(
  args: string[],
  input: string,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MMC, ...args], {
    input,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("mmc fmt FILE", () => {
  test("rewrites a file in place and says so; a formatted file is left alone", () => {
    const dir = folder();
    const file = join(dir, "m.mm");
    writeFileSync(file, MESSY);
    chmodSync(file, 0o640);
    const r = mmc(["fmt", file]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${file}: formatted\n`);
    expect(readFileSync(file, "utf8")).toBe(TIDY);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(["m.mm"]);
    const again = mmc(["fmt", file]);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe("");
  });

  test("a file with syntax errors is untouched; its errors print as `mmc check` prints them", () => {
    const dir = folder();
    const file = join(dir, "bad.mm");
    const text = "model   M {\n  a: 1 @\n";
    writeFileSync(file, text);
    const r = mmc(["fmt", file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(mmc(["check", file]).stderr);
    expect(r.stderr).toContain("error[MM1001]");
    expect(readFileSync(file, "utf8")).toBe(text);
    expect(mmc(["fmt", file, "--format", "short"]).stderr).toMatch(/bad\.mm:2:8: error\[MM1001\]/);
  });

  test("a file that is not UTF-8 is reported (MM1006) and untouched", () => {
    const dir = folder();
    const file = join(dir, "latin1.mm");
    const bytes = Buffer.concat([Buffer.from("model M {}\n// caf"), Buffer.from([0xe9, 0x0a])]);
    writeFileSync(file, bytes);
    const r = mmc(["fmt", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[MM1006]");
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  test("a link is followed: the file it points to is rewritten and the link stays a link", () => {
    const dir = folder();
    writeFileSync(join(dir, "real.mm"), MESSY);
    symlinkSync(join(dir, "real.mm"), join(dir, "link.mm"));
    expect(mmc(["fmt", join(dir, "link.mm")]).status).toBe(0);
    expect(lstatSync(join(dir, "link.mm")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, "real.mm"), "utf8")).toBe(TIDY);
  });

  test.skipIf(process.getuid?.() === 0)("a file that cannot be written is left as it was", () => {
    const dir = folder();
    const sub = join(dir, "ro");
    mkdirSync(sub);
    writeFileSync(join(sub, "m.mm"), MESSY);
    chmodSync(sub, 0o555);
    try {
      const r = mmc(["fmt", join(sub, "m.mm")]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /^error: cannot write `.*m\.mm` \(EACCES\); it is left as it was\n$/,
      );
      expect(readFileSync(join(sub, "m.mm"), "utf8")).toBe(MESSY);
    } finally {
      chmodSync(sub, 0o755);
    }
  });

  test("a missing file or a device is bad usage (exit 2)", () => {
    expect(mmc(["fmt", "no/such.mm"]).status).toBe(2);
    expect(mmc(["fmt", "no/such.mm"]).stderr).toContain("`no/such.mm` does not exist");
    expect(mmc(["fmt", "/dev/null"]).stderr).toContain("is not a file or a folder");
    expect(mmc(["fmt"]).status).toBe(2);
  });
});

describe("mmc fmt DIR", () => {
  test("formats every .mm file under it, skipping dependency, generated, data and run folders", () => {
    const dir = folder();
    for (const sub of ["a", "a/b", "node_modules", ".mmc", "data", "runs", ".hidden"])
      mkdirSync(join(dir, sub), { recursive: true });
    for (const f of [
      "top.mm",
      "a/one.mm",
      "a/b/two.mm",
      "node_modules/x.mm",
      ".mmc/x.mm",
      "data/x.mm",
      "runs/x.mm",
      ".hidden/x.mm",
    ])
      writeFileSync(join(dir, f), MESSY);
    writeFileSync(join(dir, "notes.txt"), MESSY);
    symlinkSync(join(dir, "a"), join(dir, "linked"));
    const r = mmc(["fmt", dir]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(
      ["a/b/two.mm", "a/one.mm", "top.mm"].map((f) => `${join(dir, f)}: formatted`),
    );
    for (const f of ["node_modules/x.mm", ".mmc/x.mm", "data/x.mm", "runs/x.mm", ".hidden/x.mm"])
      expect(readFileSync(join(dir, f), "utf8")).toBe(MESSY);
    expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe(MESSY);
  });
});

describe("mmc fmt --check", () => {
  test("lists the files that would change with their first change, and exits 1", () => {
    const dir = folder();
    writeFileSync(join(dir, "messy.mm"), MESSY);
    writeFileSync(join(dir, "tidy.mm"), TIDY);
    const r = mmc(["fmt", "--check", dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(
      [
        `${join(dir, "messy.mm")}: not formatted`,
        "  @@ -1,2 +1,4 @@",
        "  -model   M{a:1,",
        "  -      b :2 }",
        "  +model M {",
        "  +  a: 1",
        "  +  b: 2",
        "  +}",
        "1 of 2 files would be reformatted; run `mmc fmt` on it",
        "",
      ].join("\n"),
    );
    expect(readFileSync(join(dir, "messy.mm"), "utf8")).toBe(MESSY);
  });

  test("exits 0 when every file is formatted", () => {
    const dir = folder();
    writeFileSync(join(dir, "tidy.mm"), TIDY);
    const r = mmc(["fmt", "--check", dir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("1 file is formatted\n");
  });

  test("names and lines from the file reach the terminal with control characters escaped", () => {
    const dir = folder();
    const file = join(dir, "evil\u001b[31m.mm");
    writeFileSync(file, MESSY);
    const r = mmc(["fmt", "--check", file]);
    expect(r.status).toBe(1);
    expect(r.stdout).not.toContain("\u001b");
    expect(r.stdout).toContain("evil\\x1b[31m.mm: not formatted");
  });
});

describe("mmc fmt - and --stdout", () => {
  test("`-` formats standard input to standard output", () => {
    const r = withStdin(["fmt", "-"], MESSY);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(TIDY);
    const check = withStdin(["fmt", "-", "--check"], MESSY);
    expect(check.status).toBe(1);
    expect(check.stdout).toContain("<stdin>: not formatted");
    expect(withStdin(["fmt", "-", "--check"], TIDY).status).toBe(0);
  });

  test("syntax errors on standard input are reported against <stdin>, nothing printed", () => {
    const r = withStdin(["fmt", "-"], "model M {");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("--> <stdin>:1:10");
  });

  test("--stdout prints one file without rewriting it", () => {
    const dir = folder();
    writeFileSync(join(dir, "m.mm"), MESSY);
    const r = mmc(["fmt", "--stdout", join(dir, "m.mm")]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(TIDY);
    expect(readFileSync(join(dir, "m.mm"), "utf8")).toBe(MESSY);
    expect(mmc(["fmt", "--stdout", dir]).status).toBe(2);
  });
});
