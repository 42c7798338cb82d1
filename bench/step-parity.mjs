// Parity between the mmc step and the PyTorch reference (bench/torch-step.py), from the same
// initial weights on the same batch: each weight's gradient, the first steps' losses, and each
// weight's change over those steps (which is where the optimizer and its decay groups show).
import { join } from "node:path";
import { exportGradients, exportWeights } from "./step-configs.mjs";

/** Relative differences above these fail the bench. */
export const TOLERANCE = { gradient: 1e-5, loss: 1e-4, update: 1e-3 };

const rel = (a, b) => Math.abs(a - b) / Math.abs(b);
const e = (x) => x.toExponential(1);

/** The worst tensors of a per-tensor comparison, as one line. */
function worstLine(what, tensors, limit) {
  const sorted = [...tensors].sort((x, y) => y.rel - x.rel);
  const [worst] = sorted;
  const ok = worst.rel <= limit;
  const next = sorted
    .slice(1, 3)
    .map((t) => `\`${t.name}\` ${e(t.rel)}`)
    .join(", ");
  return {
    ok,
    line: `${what} (${ok ? "ok" : "FAILED"}): ${tensors.length} tensors, worst relative L2 difference ${e(worst.rel)} in \`${worst.name}\` (limit ${limit}); next ${next}`,
  };
}

/**
 * Checks gradients at the current (initial) weights, then runs `steps` steps on both sides
 * (mmc first; they are the warm-up too), then checks losses and weight changes. Returns
 * { ok, lines }.
 */
export async function checkParity(child, model, code, batch, micro, dir, mmcStep, steps) {
  const lines = [];
  let ok = true;
  const grads = join(dir, "grads.safetensors");
  exportGradients(grads, model, code, batch, micro);
  const g = await child.request({ op: "grads", file: grads });
  const gl = worstLine("gradients at the initial weights", g.tensors, TOLERANCE.gradient);
  ok &&= gl.ok;
  lines.push(gl.line);
  const rows = [];
  for (let i = 0; i < steps; i++)
    rows.push({ a: await mmcStep(), b: await child.request({ op: "step" }) });
  const worstLoss = Math.max(...rows.map(({ a, b }) => rel(a.loss, b.loss)));
  ok &&= worstLoss <= TOLERANCE.loss;
  lines.push(
    `losses of the first ${steps} steps (${worstLoss <= TOLERANCE.loss ? "ok" : "FAILED"}): worst relative difference ${e(worstLoss)} (limit ${TOLERANCE.loss})`,
  );
  rows.forEach(({ a, b }, i) =>
    lines.push(
      `  step ${i + 1}: loss mmc ${a.loss.toFixed(6)} torch ${b.loss.toFixed(6)} (${e(rel(a.loss, b.loss))}); clipping norm mmc ${a.gradNorm.toFixed(5)} torch ${b.gradNorm.toFixed(5)} (${e(rel(a.gradNorm, b.gradNorm))})`,
    ),
  );
  lines.push(
    `  the first clipping norm in float64: ${g.norm64.toFixed(5)} of mmc's gradients, ${g.torchNorm64.toFixed(5)} of torch's`,
  );
  if (steps > 0) {
    const weights = join(dir, "after.safetensors");
    exportWeights(weights, model);
    const u = await child.request({ op: "updates", file: weights });
    const ul = worstLine(`weight changes over ${steps} steps`, u.tensors, TOLERANCE.update);
    ok &&= ul.ok;
    lines.push(ul.line);
  }
  return { ok, lines };
}
