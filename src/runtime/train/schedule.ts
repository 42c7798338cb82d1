// Learning-rate schedules: linear warm-up to the peak, then cosine or linear decay to
// `final` x peak (MM1: cosine, 2000 warm-up steps, down to 10%), or constant after warm-up.

import type { ScheduleSettings } from "../../spec/run-config.js";
import { defaultNumber } from "../../spec/fields.js";
import { SCHEDULE_SETTINGS } from "../../spec/settings.js";

/** The schedule's settings (src/spec/run-config.ts); `kind` and `final` default as in a spec. */
export type ScheduleConfig = Pick<ScheduleSettings, "warmup"> &
  Partial<Omit<ScheduleSettings, "warmup">>;

const DEFAULT_FINAL = defaultNumber(SCHEDULE_SETTINGS, "final");

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
  const final = schedule.final ?? DEFAULT_FINAL;
  const span = Math.max(1, total - warm);
  const progress = Math.min(1, (step - warm) / span);
  if (schedule.kind === "linear") return peak * (final + (1 - final) * (1 - progress));
  return peak * (final + (1 - final) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
