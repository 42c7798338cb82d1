// `mmc report` through bin/mmc: run and sweep folders, --out, atomic re-writes, and the clear
// errors (exit 1) for folders it cannot report on.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { writeRun, writeSweep } from "../report/fixtures.js";
import { mmc } from "./run-mmc.js";

const tmp = (): string => mkdtempSync(join(tmpdir(), "mmc-cli-report-"));

describe("mmc report", () => {
  test("a sweep folder: writes report.md and report.html into it and prints their paths", () => {
    const dir = tmp();
    writeSweep(dir, { statuses: ["done", "done", "running", "pending", "failed", "done"] });
    const r = mmc(["report", dir]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`wrote ${join(dir, "report.md")}\nwrote ${join(dir, "report.html")}\n`);
    const md = readFileSync(join(dir, "report.md"), "utf8");
    expect(md).toMatch(/^# sweep connectors\n/);
    for (const t of ["## loss", "## caption\\_accuracy", "## params"]) expect(md).toContain(t);
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<figure class="chart"/g)).toHaveLength(4);
    // Re-rendering replaces both files with the same bytes and leaves no temp file behind.
    expect(mmc(["report", dir]).status).toBe(0);
    expect(readFileSync(join(dir, "report.html"), "utf8")).toBe(html);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  test("a run folder with --out: the out folder is made", () => {
    const dir = tmp();
    writeRun(join(dir, "run"), { steps: 40, evalEvery: 20, extra: "garbage\n" });
    const out = join(dir, "reports", "one");
    const r = mmc(["report", join(dir, "run"), "--out", out]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["report.html", "report.md"]);
    const md = readFileSync(join(out, "report.md"), "utf8");
    expect(md).toMatch(/^# run run\n/);
    expect(md).toContain("1 bad line skipped");
  });

  test("a metrics file of junk still gives a report of what it could read", () => {
    const dir = tmp();
    const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    writeFileSync(
      join(dir, "metrics.jsonl"),
      Buffer.concat([junk, Buffer.from('\n{"type":"step","step":1,"loss":2.5}\n'), junk]),
    );
    const r = mmc(["report", dir]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, "report.md"), "utf8")).toMatch(/bad lines? skipped/);
  });

  const cases: [string, (dir: string) => string, RegExp][] = [
    [
      "a missing folder",
      (d) => join(d, "nope"),
      /^error: `.*nope` does not exist: give a run folder/,
    ],
    ["an empty folder", (d) => d, /^error: `.*` is empty: give a run folder \(with metrics.jsonl/],
    [
      "a folder of other files",
      (d) => (writeFileSync(join(d, "notes.txt"), "x"), d),
      /has neither metrics.jsonl nor sweep.json/,
    ],
    ["a file", (d) => (writeFileSync(join(d, "f"), "x"), join(d, "f")), /is not a folder/],
    [
      "metrics with no records",
      (d) => (writeFileSync(join(d, "metrics.jsonl"), "junk\n\n"), d),
      /metrics.jsonl` has no step or eval records \(1 bad lines\): train first/,
    ],
    [
      "a sweep.json that is not JSON",
      (d) => (writeFileSync(join(d, "sweep.json"), "{"), d),
      /sweep.json is not valid JSON .*the format is in docs\/sweep.md/,
    ],
    [
      "a sweep.json that points outside its folder",
      (d) => {
        const m = writeSweep(d);
        const bad = {
          ...m,
          points: m.points.map((p, i) => (i === 1 ? { ...p, dir: "../../etc" } : p)),
        };
        writeFileSync(join(d, "sweep.json"), JSON.stringify(bad));
        return d;
      },
      /`points\[1\]\.dir` must be one folder name/,
    ],
  ];
  test.each(cases)("%s is a clear error, exit 1", (_, make, message) => {
    const r = mmc(["report", make(tmp())]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test("control characters from a sweep.json never reach the terminal", () => {
    const d = tmp();
    const m = writeSweep(d);
    const text = JSON.stringify(m).replace('"derived":{', '"derived":{"\\u001b[2Jboom":"x",');
    writeFileSync(join(d, "sweep.json"), text);
    const r = mmc(["report", d]);
    expect(r.status).toBe(1);
    expect(r.stderr).not.toContain("\u001b");
    expect(r.stderr).toContain("\\u001b[2Jboom");
  });

  test("an --out that cannot be a folder is an error, exit 1", () => {
    const d = tmp();
    writeRun(join(d, "run"), { steps: 5 });
    writeFileSync(join(d, "file"), "x");
    const r = mmc(["report", join(d, "run"), "--out", join(d, "file", "sub")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^error: cannot create `.*file\/sub` \(ENOTDIR\): choose another --out folder/,
    );
  });

  test("usage: no folder, or two, is exit 2", () => {
    expect(mmc(["report"]).status).toBe(2);
    const d = tmp();
    mkdirSync(join(d, "a"));
    expect(mmc(["report", join(d, "a"), join(d, "b")]).stderr).toMatch(/needs one folder/);
  });
});
