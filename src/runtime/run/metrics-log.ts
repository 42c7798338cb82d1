// The run's metrics log, `metrics.jsonl`: one JSON record per line (steps and evaluations),
// buffered and appended between steps; a resumed run first drops records past its checkpoint.
import { appendFile, readFile, stat, writeFile } from "node:fs/promises";
import { fsRunError, isFsError, RunError, showPath } from "./errors.js";

export class MetricsLog {
  private readonly pending: string[] = [];

  constructor(readonly path: string) {}

  /**
   * A run killed after its last checkpoint logged steps that the resumed run trains again: drop
   * those records (and a line cut short by the kill) so the log has each step once.
   */
  async trimTo(step: number): Promise<void> {
    let text: string;
    try {
      // Only a regular file: reading a device such as /dev/zero would never end.
      if (!(await stat(this.path)).isFile())
        throw new RunError(
          `\`${showPath(this.path)}\` is not a regular file: move it away, or start over with --fresh`,
        );
      text = await readFile(this.path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      if (isFsError(e))
        throw fsRunError(`cannot read the metrics log \`${showPath(this.path)}\``, e);
      throw e;
    }
    const kept = text.split("\n").filter((line) => {
      if (line.trim() === "") return false;
      try {
        const r = JSON.parse(line) as { step?: number };
        return r.step === undefined || r.step <= step;
      } catch {
        return false; // a line cut short by the kill
      }
    });
    await this.write(() => writeFile(this.path, kept.length ? `${kept.join("\n")}\n` : ""));
  }

  push(record: Record<string, unknown>): void {
    this.pending.push(JSON.stringify(record));
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const lines = this.pending.splice(0).join("\n") + "\n";
    await this.write(() => appendFile(this.path, lines));
  }

  private async write(op: () => Promise<void>): Promise<void> {
    try {
      await op();
    } catch (e) {
      if (isFsError(e))
        throw fsRunError(`cannot write the metrics log \`${showPath(this.path)}\``, e);
      throw e;
    }
  }
}
