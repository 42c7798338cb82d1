// Progress reporting for a training run: a one-line bar redrawn in place on a terminal
// (step, loss, tokens/s, ETA), plain lines every N steps otherwise.

export interface ProgressSink {
  readonly isTTY: boolean;
  write(text: string): void;
}

export interface ProgressLine {
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
  readonly lr: number;
  readonly tokensPerSecond: number;
  readonly secondsPerStep: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0
    ? `${h}h${String(m).padStart(2, "0")}m`
    : m > 0
      ? `${m}m${String(sec).padStart(2, "0")}s`
      : `${sec}s`;
}

function describe(p: ProgressLine): string {
  const eta = formatDuration((p.steps - p.step) * p.secondsPerStep);
  const tps =
    p.tokensPerSecond >= 1000
      ? `${(p.tokensPerSecond / 1000).toFixed(1)}K`
      : p.tokensPerSecond.toFixed(0);
  return `step ${p.step}/${p.steps}  loss ${p.loss.toFixed(4)}  lr ${p.lr.toExponential(2)}  ${tps} tok/s  ${p.secondsPerStep.toFixed(2)} s/step  ETA ${eta}`;
}

export class Progress {
  private drawn = false;

  constructor(
    private readonly sink: ProgressSink,
    private readonly every: number,
  ) {}

  update(p: ProgressLine): void {
    if (this.sink.isTTY) {
      const width = 24;
      const filled = Math.round((p.step / p.steps) * width);
      const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
      this.sink.write(`\r\x1b[2K${bar} ${describe(p)}`);
      this.drawn = true;
      return;
    }
    if (p.step === 1 || p.step % this.every === 0 || p.step === p.steps)
      this.sink.write(`${describe(p)}\n`);
  }

  /** Prints a line of its own, keeping the bar below it on a terminal. */
  line(text: string): void {
    if (this.sink.isTTY && this.drawn) {
      this.sink.write(`\r\x1b[2K${text}\n`);
      return;
    }
    this.sink.write(`${text}\n`);
  }

  finish(): void {
    if (this.sink.isTTY && this.drawn) this.sink.write("\n");
    this.drawn = false;
  }
}
