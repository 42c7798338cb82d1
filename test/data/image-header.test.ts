// Image sizes are read from the header and checked before any decoder runs: forged headers are
// refused without the decoder being called, and for real files the header agrees with what the
// decoders produce.
import fc from "fast-check";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  checkImageHeader,
  decodeImage,
  encodePng,
  readImageHeader,
} from "../../src/runtime/data/index.js";
import { encodeWebp } from "./fixtures.js";
import { forgedJpeg, forgedPng, forgedWebp, webpWithCanvas } from "./forged-images.js";

afterEach(() => vi.restoreAllMocks());

function decoderSpies() {
  return { png: vi.spyOn(PNG.sync, "read"), jpeg: vi.spyOn(jpeg, "decode") };
}

const pixels = (w: number, h: number) =>
  new Uint8Array(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 31) % 256));

describe("forged headers", () => {
  it("refuses a 69-byte PNG claiming 20000x20000 without calling the decoder", async () => {
    const spies = decoderSpies();
    const png = forgedPng(20000, 20000);
    expect(png.length).toBe(69);
    const r = await decodeImage(png);
    expect(r).toEqual({
      ok: false,
      reason: "too-large",
      message: "image is 20000x20000 (400 MP) by its header, over the 64 MP limit",
    });
    expect(spies.png).not.toHaveBeenCalled();
  });

  it("refuses a JPEG frame header claiming 60000x60000 without calling the decoder", async () => {
    const spies = decoderSpies();
    const r = await decodeImage(forgedJpeg(60000, 60000));
    expect(r).toMatchObject({ ok: false, reason: "too-large" });
    expect(!r.ok && r.message).toMatch(/^image is 60000x60000 \(3600 MP\) by its header/);
    expect(spies.jpeg).not.toHaveBeenCalled();
  });

  it("refuses WebP whose VP8X, VP8L or VP8 header claims 16384x16384", async () => {
    // VP8 holds 14-bit sizes, VP8L and VP8X 14 and 24 bits of size - 1
    for (const [kind, side] of [
      ["VP8X", 16384],
      ["VP8L", 16384],
      ["VP8 ", 16383],
    ] as const) {
      const r = await decodeImage(forgedWebp(side, side, kind));
      expect([kind, r]).toEqual([
        kind,
        {
          ok: false,
          reason: "too-large",
          message: `image is ${side}x${side} (269 MP) by its header, over the 64 MP limit`,
        },
      ]);
    }
  });

  it("reads the bitstream inside a VP8X file too, so a small canvas cannot hide a big image", () => {
    const inner = forgedWebp(16000, 16000, "VP8L");
    expect(checkImageHeader(webpWithCanvas(inner, 8, 8))).toMatchObject({
      ok: false,
      reason: "too-large",
    });
  });

  it("stops the VP8X chunk walk when a chunk's padding byte is the file's last byte", () => {
    // RIFF, VP8X (10 bytes), a 1-byte chunk padded to 2, ending exactly after the pad: the walk
    // used to read the next chunk's size past the end (a RangeError that stopped the stream)
    const b = Buffer.alloc(47);
    b.write("RIFFxxxxWEBPVP8X", 0, "latin1");
    b.writeUInt32LE(39, 4);
    b.writeUInt32LE(10, 16);
    b.writeUIntLE(9, 24, 3);
    b.writeUIntLE(9, 27, 3);
    b.write("ABCD", 30, "latin1");
    b.writeUInt32LE(1, 34);
    expect(readImageHeader(b)).toMatchObject({ ok: true, header: { width: 10, height: 10 } });
  });

  it("applies a lower limit when one is given", () => {
    expect(checkImageHeader(forgedPng(2000, 1000), 2)).toMatchObject({ ok: true });
    expect(checkImageHeader(forgedPng(2001, 1000), 2)).toMatchObject({ reason: "too-large" });
  });

  it("refuses impossible PNG headers as corrupt before decoding", async () => {
    const spies = decoderSpies();
    const cases: [Buffer, RegExp][] = [
      [forgedPng(0, 10), /impossible size 0x10/],
      [forgedPng(10, 10, 16, 3), /bit depth 16 is not allowed for colour type 3/],
      [forgedPng(10, 10, 8, 5), /unknown colour type 5/],
      [forgedPng(10, 10).subarray(0, 30), /no IHDR chunk/],
    ];
    for (const [bytes, message] of cases) {
      const r = await decodeImage(bytes);
      expect(r).toMatchObject({ ok: false, reason: "corrupt" });
      expect(!r.ok && r.message).toMatch(message);
    }
    expect(spies.png).not.toHaveBeenCalled();
  });

  it("refuses JPEG coding jpeg-js cannot decode, and scans before frames, before decoding", async () => {
    const spies = decoderSpies();
    expect(await decodeImage(forgedJpeg(10, 10, 0xc3))).toMatchObject({
      ok: false,
      reason: "unsupported",
      message: expect.stringMatching(/SOF3/),
    });
    const scanFirst = Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2, 0xff, 0xd9]);
    expect(await decodeImage(scanFirst)).toMatchObject({
      reason: "corrupt",
      message: expect.stringMatching(/scan starts before the frame header/),
    });
    const one = forgedJpeg(10, 10);
    // SOI, APP0 (18 bytes), the frame header from byte 20, EOI: the frame header twice
    const twice = Buffer.concat([one.subarray(0, -2), one.subarray(20, -2), one.subarray(-2)]);
    expect(await decodeImage(twice)).toMatchObject({
      reason: "corrupt",
      message: expect.stringMatching(/more than one frame header/),
    });
    expect(spies.jpeg).not.toHaveBeenCalled();
  });
});

describe("headers of real files", () => {
  it("agree with the decoders on PNG, JPEG and WebP of any size", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        async (w, h) => {
          const data = pixels(w, h);
          const files = [
            encodePng({ width: w, height: h, data }),
            Buffer.from(jpeg.encode({ width: w, height: h, data: Buffer.from(data) }, 80).data),
            await encodeWebp({ width: w, height: h, data }),
            await encodeWebp({ width: w, height: h, data }, 75),
          ];
          for (const bytes of files) {
            const head = readImageHeader(bytes);
            const decoded = await decodeImage(bytes);
            if (!decoded.ok) throw new Error(decoded.message);
            expect(head).toMatchObject({ ok: true, header: { width: w, height: h } });
            expect([decoded.image.width, decoded.image.height]).toEqual([w, h]);
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  it("never throw on damaged bytes: truncated, bit-flipped or random after a signature", async () => {
    const data = pixels(9, 7);
    const real = [
      encodePng({ width: 9, height: 7, data }),
      Buffer.from(jpeg.encode({ width: 9, height: 7, data: Buffer.from(data) }, 80).data),
      await encodeWebp({ width: 9, height: 7, data }),
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (which, cut, flips) => {
          const bytes = Buffer.from(real[which]!);
          for (const [at, v] of flips) bytes[at % bytes.length] = v;
          const r = readImageHeader(bytes.subarray(0, cut % (bytes.length + 1)));
          expect(["true", "false", "unknown"]).toContain(String(r.ok));
        },
      ),
      { numRuns: 500 },
    );
  });
});
