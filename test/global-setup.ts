// Bundles the CLI once before the suites that spawn `bin/mmc`, so they test the current sources.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export default function setup(): void {
  const root = join(import.meta.dirname, "..");
  execFileSync("npm", ["run", "--silent", "build:cli"], { cwd: root, stdio: "inherit" });
}
