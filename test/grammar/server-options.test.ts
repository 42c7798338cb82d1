// The extension's choice of server: the bundled one unless `mmc.path` names an executable.
import { describe, expect, it } from "vitest";
import { serverLaunch, STDIO } from "../../grammar/src/server-options.js";

describe("server launch", () => {
  it("runs the bundled server when mmc.path is empty or unset", () => {
    for (const setting of [undefined, "", "   "])
      expect(serverLaunch(setting, "/ext/dist/server.mjs", "linux")).toEqual({
        module: "/ext/dist/server.mjs",
        transport: STDIO,
        args: [],
      });
  });

  it("runs `mmc lsp` from mmc.path, through a shell only for Windows .cmd shims", () => {
    expect(serverLaunch(" /opt/mmc/bin/mmc ", "/b", "linux")).toEqual({
      command: "/opt/mmc/bin/mmc",
      transport: STDIO,
      args: ["lsp"],
      options: { shell: false },
    });
    expect(serverLaunch("C:\\\\tools\\\\mmc.cmd", "/b", "win32")).toMatchObject({
      command: "C:\\\\tools\\\\mmc.cmd",
      options: { shell: true },
    });
    expect(serverLaunch("C:\\\\tools\\\\mmc.exe", "/b", "win32")).toMatchObject({
      options: { shell: false },
    });
  });
});
