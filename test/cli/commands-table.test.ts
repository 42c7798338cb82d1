// The command table lists each command's name and summary without importing its module (so
// `mmc check` loads only what checking needs); the loaded module must say the same.
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/commands.js";

describe("the lazy command table", () => {
  it("names and summarises every command as its module does", async () => {
    for (const entry of COMMANDS) {
      const cmd = await entry.load();
      expect({ name: cmd.name, summary: cmd.summary }).toEqual({
        name: entry.name,
        summary: entry.summary,
      });
      expect(cmd.usage.length).toBeGreaterThan(0);
    }
  });

  it("has each name once", () => {
    const names = COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
