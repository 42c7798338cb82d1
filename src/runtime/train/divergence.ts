// The divergence rule: a loss that explodes (lr 10 on the tiny model went 5.6 -> 45 -> 223 and
// kept training) stops the run before its state can be saved. Finite losses only; a NaN or
// infinite loss has its own stop (NonFiniteLossError).

/**
 * A step's cross-entropy has exploded when it is above both
 *  - ln(vocab), the loss of a uniform guess: a model that predicts worse than knowing nothing
 *    has lost what it learned (a healthy run starts near it and only goes down), and
 *  - FACTOR x the best smoothed loss so far: early on, while the loss is still near ln(vocab),
 *    it must at least double, which no healthy step does (a model near uniform scores every
 *    batch near ln(vocab)).
 * The smoothed loss is an exponential moving average (SMOOTHING) from the first step; the first
 * step is never judged (an unusual initialisation may start above ln(vocab)).
 */
export const DIVERGENCE_FACTOR = 2;
export const SMOOTHING = 0.9;

/** What a checkpoint stores, so a resumed run judges as an uninterrupted one would. */
export interface WatchState {
  readonly smoothed: number;
  readonly best: number;
}

export interface Verdict {
  /** The loss judged. */
  readonly loss: number;
  /** The limit it went over: max(ln(vocab), FACTOR x best). */
  readonly limit: number;
  readonly best: number;
  readonly uniform: number;
}

export class DivergenceWatch {
  private smoothed: number | undefined;
  private best: number | undefined;
  readonly uniform: number;

  constructor(vocab: number, state?: WatchState) {
    this.uniform = Math.log(vocab);
    if (state !== undefined && Number.isFinite(state.smoothed) && Number.isFinite(state.best)) {
      this.smoothed = state.smoothed;
      this.best = state.best;
    }
  }

  /** The verdict on `loss` against the losses seen so far: undefined while it is fine. */
  judge(loss: number): Verdict | undefined {
    if (this.best === undefined || !Number.isFinite(loss)) return undefined;
    const limit = Math.max(this.uniform, DIVERGENCE_FACTOR * this.best);
    return loss > limit ? { loss, limit, best: this.best, uniform: this.uniform } : undefined;
  }

  /** Adds a step's (finite, judged) loss to the smoothed history. */
  record(loss: number): void {
    if (!Number.isFinite(loss)) return;
    this.smoothed =
      this.smoothed === undefined ? loss : SMOOTHING * this.smoothed + (1 - SMOOTHING) * loss;
    this.best = this.best === undefined ? this.smoothed : Math.min(this.best, this.smoothed);
  }

  state(): WatchState | undefined {
    return this.smoothed === undefined || this.best === undefined
      ? undefined
      : { smoothed: this.smoothed, best: this.best };
  }

  /** Reads a checkpoint's stored state (anything malformed is ignored: the watch starts over). */
  static parseState(raw: unknown): WatchState | undefined {
    const s = raw as Partial<WatchState> | null | undefined;
    return typeof s?.smoothed === "number" && typeof s.best === "number"
      ? { smoothed: s.smoothed, best: s.best }
      : undefined;
  }
}

/** How the verdict reads in a message: the numbers and where the limit came from. */
export function describeVerdict(v: Verdict): string {
  const f = (x: number): string => (Math.abs(x) >= 1000 ? x.toFixed(0) : x.toFixed(2));
  return (
    `cross-entropy ${f(v.loss)} is above ${f(v.limit)}, the larger of ln(vocab) = ${f(v.uniform)} ` +
    `(a uniform guess) and ${DIVERGENCE_FACTOR} x the best smoothed loss so far (${f(v.best)})`
  );
}
