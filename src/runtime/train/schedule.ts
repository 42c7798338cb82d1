// Learning-rate schedules: linear warm-up to the peak, then cosine or linear decay to
// `final` x peak (MM1: cosine, 2000 warm-up steps, down to 10%), or constant after warm-up.

export interface ScheduleConfig {
  readonly kind?: "cosine" | "linear" | "constant";
  /** Warm-up steps (linear from peak / warmup up to the peak). */
  readonly warmup: number;
  /** Final learning rate as a fraction of the peak (cosine and linear); default 0.1. */
  readonly final?: number;
}

/** Learning rate for 0-based `step` of `total` steps at peak `peak`. */
export function learningRate(
  schedule: ScheduleConfig,
  step: number,
  total: number,
  peak: number,
): number {
  const warm = Math.max(0, Math.floor(schedule.warmup));
  if (step < warm) return (peak * (step + 1)) / warm;
  if (schedule.kind === "constant") return peak;
  const final = schedule.final ?? 0.1;
  const span = Math.max(1, total - warm);
  const progress = Math.min(1, (step - warm) / span);
  if (schedule.kind === "linear") return peak * (final + (1 - final) * (1 - progress));
  return peak * (final + (1 - final) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
