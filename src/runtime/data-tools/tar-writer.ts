// Writes ustar archives deterministically (fixed mtime, owner and mode), so the synthetic corpus is
// byte-identical for a given seed.

const BLOCK = 512;

export interface TarFile {
  name: string;
  data: Uint8Array;
}

export function writeTar(files: readonly TarFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(header(f.name, f.data.length));
    parts.push(Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength));
    const pad = (BLOCK - (f.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function header(name: string, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const nameBytes = Buffer.from(name, "utf8");
  if (nameBytes.length > 100) throw new Error(`tar name longer than 100 bytes: ${name}`);
  nameBytes.copy(h, 0);
  octal(h, 100, 8, 0o644);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, 0);
  h.fill(32, 148, 156);
  h[156] = "0".charCodeAt(0);
  h.write("ustar\u000000", 257, "latin1");
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i] ?? 0;
  h.write(sum.toString(8).padStart(6, "0") + "\u0000 ", 148, "latin1");
  return h;
}

function octal(h: Buffer, at: number, width: number, value: number): void {
  h.write(value.toString(8).padStart(width - 1, "0") + "\u0000", at, "latin1");
}
