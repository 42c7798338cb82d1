// An encoder that carries its own input size is measured at it by `mmc info`: CLIP ViT-L/14 at
// 336 px has a 24x24 + 1 position table and 303,507,456 parameters (the 224 px preset, measured at
// the stand-in image, has 303,179,776).
import { describe, expect, test } from "vitest";
import { mmc } from "./run-mmc.js";

describe("mmc info on an encoder with its own `image`", () => {
  test("ViT_L14_336 is measured at 336 px, ViT_L14 at the 224 px stand-in", () => {
    const r = mmc(["info", "stdlib/encoders.mm"]);
    expect(r.status, r.stderr).toBe(0);
    const row = (name: string) => r.stdout.split("\n").find((l) => l.includes(`encoder ${name} `));
    expect(row("ViT_L14_336")).toMatch(/\[576, 1024\]\s+303,507,456\s/);
    expect(row("ViT_L14_336")).not.toMatch(/no model image given/);
    expect(row("ViT_L14")).toMatch(
      /\[256, 1024\]\s+303,179,776\s.*3x224x224 \(no model image given\)/,
    );
  });
});
