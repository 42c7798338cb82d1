// The divergence rule (train/divergence.ts): it stops a loss that explodes, as lr 10 on the tiny
// model did (5.64, 5.79, 44.9, ...), and never a healthy curve: falling, noisy, or spiking while
// it is still better than a uniform guess.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DivergenceWatch } from "../../src/runtime/train/divergence.js";

const VOCAB = 260; // ln 260 = 5.56

/** The 1-based step at which the watch stops `losses`, or undefined. */
function stopsAt(losses: readonly number[], vocab = VOCAB): number | undefined {
  const watch = new DivergenceWatch(vocab);
  for (const [i, loss] of losses.entries()) {
    if (watch.judge(loss) !== undefined) return i + 1;
    watch.record(loss);
  }
  return undefined;
}

describe("the divergence rule", () => {
  it("stops the issue's lr-10 run at its first exploding step", () => {
    // losses of `tiny` at lr 10 (warm-up 20), measured with `mmc run --steps 8`
    expect(stopsAt([5.6361, 5.7895, 44.9372, 47.7744, 222.9718])).toBe(3);
  });

  it("stops a run that falls back above a uniform guess after learning", () => {
    const learnt = [5.6, 4, 3, 2, ...new Array<number>(30).fill(1.3)];
    expect(stopsAt([...learnt, 6.5])).toBe(learnt.length + 1);
    expect(stopsAt([...learnt, 5.5])).toBeUndefined(); // still better than a uniform guess
  });

  it("does not judge the first step (an initialisation may start above ln(vocab))", () => {
    expect(stopsAt([14, 12, 9, 7])).toBeUndefined();
  });

  it("lets a low loss spike many times over while it stays below ln(vocab)", () => {
    expect(stopsAt([5.5, 2, 0.5, 0.1, 0.05, 0.04, 1.5, 0.05, 4.9])).toBeUndefined();
  });

  it("never stops a falling curve with noise of up to 30% a step", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 3, max: 2000, noNaN: true }),
        fc.array(fc.double({ min: -0.3, max: 0.3, noNaN: true }), { minLength: 2, maxLength: 300 }),
        fc.constantFrom(260, 32_000, 151_936),
        (tau, noise, vocab) => {
          const start = Math.log(vocab);
          const losses = noise.map((u, t) => start * Math.exp(-t / tau) * (1 + u) + 0.01);
          return stopsAt(losses, vocab) === undefined;
        },
      ),
    );
  });

  it("resumes with its state, judging as the uninterrupted run would", () => {
    const a = new DivergenceWatch(VOCAB);
    for (const l of [5.6, 5.0, 4.0]) a.record(l);
    const b = new DivergenceWatch(VOCAB, DivergenceWatch.parseState(a.state()));
    expect(b.judge(12)).toEqual(a.judge(12));
    expect(b.judge(12)).toBeDefined();
    expect(DivergenceWatch.parseState({ smoothed: "x" })).toBeUndefined();
  });
});
