// Stopping a run from outside: Ctrl-C (SIGINT) and SIGTERM (what Slurm, Kubernetes and
// `docker stop` send) both finish the current step, write a checkpoint and exit (130 and 143);
// a second signal exits at once. A closed stdout (`mmc run ... | head`) stops the run the same
// way, silently (141, as SIGPIPE would), instead of crashing on EPIPE.

export type StopSignal = "SIGINT" | "SIGTERM" | "SIGPIPE";

const SIGNAL_NUMBERS: Record<StopSignal, number> = { SIGINT: 2, SIGPIPE: 13, SIGTERM: 15 };

/** The exit status for a run stopped by `signal`: 128 + its number, as shells report it. */
export function signalExitCode(signal: StopSignal | undefined): number {
  return 128 + SIGNAL_NUMBERS[signal ?? "SIGINT"];
}

let stdoutGone = false;

/** Whether the reader of stdout has gone (then the run writes nothing more to it). */
export function stdoutClosed(): boolean {
  return stdoutGone;
}

export class Interrupts {
  private readonly controller = new AbortController();
  private handlers: [StopSignal, () => void][] = [];
  /** The signal that stopped the run, if one did. */
  received: StopSignal | undefined;

  /** `say` prints the line that acknowledges the first signal. */
  constructor(
    private readonly say: (line: string) => void,
    external?: AbortSignal,
  ) {
    external?.addEventListener("abort", () => this.controller.abort());
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Listens for SIGINT, SIGTERM and a closed stdout until `stop()`. */
  start(): void {
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      const handler = (): void => this.onSignal(sig);
      process.on(sig, handler);
      this.handlers.push([sig, handler]);
    }
    process.stdout.on("error", this.onStdoutError);
  }

  stop(): void {
    for (const [sig, handler] of this.handlers) process.off(sig, handler);
    this.handlers = [];
    process.stdout.off("error", this.onStdoutError);
  }

  private readonly onStdoutError = (e: NodeJS.ErrnoException): void => {
    if (e.code !== "EPIPE") throw e;
    stdoutGone = true;
    if (this.controller.signal.aborted) return;
    this.received = "SIGPIPE";
    this.controller.abort();
  };

  private onSignal(sig: StopSignal): void {
    if (this.controller.signal.aborted) process.exit(signalExitCode(this.received ?? sig));
    this.received = sig;
    const again = sig === "SIGINT" ? "Ctrl-C again" : "a second SIGTERM";
    this.say(
      `${sig === "SIGINT" ? "interrupted" : "SIGTERM received"}: finishing this step and writing a checkpoint (${again} to quit at once)`,
    );
    this.controller.abort();
  }
}
