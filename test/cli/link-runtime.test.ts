// `linkRuntime` makes `mmc/runtime` in an output folder this installation's runtime: a stub left
// there by another installation is rewritten (loading both runtimes gave a run two TensorFlow.js
// copies and exit 70), and a real package that is not this installation is never overwritten.
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, test } from "vitest";
import { linkRuntime } from "../../src/cli/commands/compile.js";
import { PACKAGE_ROOT } from "../../src/cli/host.js";
import { mmc } from "./run-mmc.js";

const tmp = realpathSync(mkdtempSync(join(tmpdir(), "mmc-link-")));
let n = 0;
const folder = (): string => {
  const d = join(tmp, `out-${++n}`);
  mkdirSync(d, { recursive: true });
  return d;
};
const THIS_RUNTIME = pathToFileURL(join(PACKAGE_ROOT, "dist", "runtime", "index.js")).href;

/** The folder of the `mmc` package that generated code in `dir` would import. */
function resolvedFrom(dir: string): string {
  return dirname(createRequire(join(dir, "index.js")).resolve("mmc/package.json"));
}

/** The stub an earlier installation at `root` wrote (the format before stubs were marked). */
function writeOldStub(out: string, root: string): void {
  const dir = join(out, "node_modules", "mmc");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "mmc",
      private: true,
      type: "module",
      exports: {
        "./runtime": { types: "./runtime.d.ts", default: "./runtime.js" },
        "./package.json": "./package.json",
      },
    }),
  );
  writeFileSync(
    join(dir, "runtime.js"),
    `// Re-exports the mmc runtime installed at ${root}.\nexport * from "${pathToFileURL(join(root, "dist", "runtime", "index.js")).href}";\n`,
  );
  writeFileSync(join(dir, "runtime.d.ts"), `export * from "${root}/dist/runtime/index.js";\n`);
}

/** A real (not stub) `mmc` package at `dir`, as npm would install one. */
function writeRealPackage(dir: string, version: string): void {
  mkdirSync(join(dir, "dist", "runtime"), { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "mmc", version, exports: { "./package.json": "./package.json" } }),
  );
  writeFileSync(join(dir, "dist", "runtime", "index.js"), "export const other = true;\n");
}

describe("linkRuntime", () => {
  test("a folder with no mmc gets a stub re-exporting this installation's runtime", () => {
    const out = folder();
    expect(linkRuntime(out)).toBeUndefined();
    const stub = join(out, "node_modules", "mmc");
    expect(resolvedFrom(out)).toBe(stub);
    expect(readFileSync(join(stub, "runtime.js"), "utf8")).toContain(
      `export * from ${JSON.stringify(THIS_RUNTIME)}`,
    );
    const before = statSync(join(stub, "runtime.js")).mtimeMs;
    expect(linkRuntime(out)).toBeUndefined();
    expect(statSync(join(stub, "runtime.js")).mtimeMs).toBe(before);
  });

  test("a stub left by another installation is rewritten to this one", () => {
    const out = folder();
    writeOldStub(out, "/opt/other-mmc");
    expect(linkRuntime(out)).toBeUndefined();
    const text = readFileSync(join(out, "node_modules", "mmc", "runtime.js"), "utf8");
    expect(text).not.toContain("/opt/other-mmc");
    expect(text).toContain(THIS_RUNTIME);
  });

  test("a real package of another installation in the folder is refused, never overwritten", () => {
    const out = folder();
    const pkg = join(out, "node_modules", "mmc");
    writeRealPackage(pkg, "0.0.9");
    const before = readFileSync(join(pkg, "package.json"), "utf8");
    const problem = linkRuntime(out);
    expect(problem).toContain("holds an mmc package that is not this installation's");
    expect(problem).toContain("remove it, or choose another output folder");
    expect(readFileSync(join(pkg, "package.json"), "utf8")).toBe(before);
  });

  test("a link to this installation is kept as it is", () => {
    const out = folder();
    mkdirSync(join(out, "node_modules"));
    symlinkSync(PACKAGE_ROOT, join(out, "node_modules", "mmc"));
    expect(linkRuntime(out)).toBeUndefined();
    expect(realpathSync(resolvedFrom(out))).toBe(realpathSync(PACKAGE_ROOT));
  });

  test("another installation in a folder above is shadowed by a stub, not touched", () => {
    const project = folder();
    const theirs = join(project, "node_modules", "mmc");
    writeRealPackage(theirs, "0.0.9");
    const out = join(project, "out");
    mkdirSync(out);
    expect(resolvedFrom(out)).toBe(theirs);
    expect(linkRuntime(out)).toBeUndefined();
    expect(resolvedFrom(out)).toBe(join(out, "node_modules", "mmc"));
    expect(readFileSync(join(theirs, "dist", "runtime", "index.js"), "utf8")).toContain("other");
  });
});

describe("`mmc compile` into a folder with another mmc", () => {
  test("a stale stub is rewritten; a real package is an error with exit 1", () => {
    const stale = folder();
    writeOldStub(stale, "/opt/other-mmc");
    const ok = mmc(["compile", "examples/tiny.mm", "-o", stale]);
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(readFileSync(join(stale, "node_modules", "mmc", "runtime.js"), "utf8")).toContain(
      THIS_RUNTIME,
    );

    const real = folder();
    writeRealPackage(join(real, "node_modules", "mmc"), "0.0.9");
    const r = mmc(["compile", "examples/tiny.mm", "-o", real]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("holds an mmc package that is not this installation's");
  });
});
