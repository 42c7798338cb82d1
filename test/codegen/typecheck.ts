// Type-checks a folder of generated TypeScript with tsc --strict; returns tsc's output ("" if clean).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../cli/run-mmc.js";

export function typecheck(out: string, files: readonly string[]): string {
  writeFileSync(
    join(out, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noUncheckedIndexedAccess: true,
        module: "NodeNext",
        moduleResolution: "NodeNext",
        target: "ES2022",
        types: ["node"],
        typeRoots: [join(ROOT, "node_modules", "@types")],
        skipLibCheck: true,
        noEmit: true,
      },
      files,
    }),
  );
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  try {
    execFileSync(process.execPath, [tsc, "-p", join(out, "tsconfig.json")], { encoding: "utf8" });
    return "";
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e);
  }
}
