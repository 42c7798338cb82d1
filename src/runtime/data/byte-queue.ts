// Exact-length reads over a chunked byte stream, so the tar reader can ask for "the next 512
// bytes" without ever holding more than one entry of the file in memory.

export class ByteQueue {
  private chunks: Buffer[] = [];
  private length = 0;
  private done = false;
  /** Bytes consumed so far, for error positions. */
  offset = 0;
  private readonly source: AsyncIterator<Buffer | string>;

  constructor(source: AsyncIterable<Buffer | string>) {
    this.source = source[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<void> {
    while (this.length < n && !this.done) {
      const next = await this.source.next();
      if (next.done) {
        this.done = true;
        break;
      }
      const chunk = typeof next.value === "string" ? Buffer.from(next.value) : next.value;
      if (chunk.length === 0) continue;
      this.chunks.push(chunk);
      this.length += chunk.length;
    }
  }

  /** Exactly n bytes, or fewer only at end of stream. */
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const take = Math.min(n, this.length);
    let out: Buffer;
    const first = this.chunks[0];
    if (first && first.length >= take) {
      out = first.subarray(0, take);
      if (first.length === take) this.chunks.shift();
      else this.chunks[0] = first.subarray(take);
    } else {
      out = Buffer.allocUnsafe(take);
      let pos = 0;
      while (pos < take) {
        const c = this.chunks[0] as Buffer;
        const k = Math.min(c.length, take - pos);
        c.copy(out, pos, 0, k);
        pos += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.length -= take;
    this.offset += take;
    return out;
  }

  /** Skips up to n bytes without keeping them; returns how many were skipped. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      await this.fill(1);
      if (this.length === 0) break;
      const c = this.chunks[0] as Buffer;
      const k = Math.min(c.length, left);
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
      this.length -= k;
      this.offset += k;
      left -= k;
    }
    return n - left;
  }

  async close(): Promise<void> {
    await this.source.return?.();
  }
}
