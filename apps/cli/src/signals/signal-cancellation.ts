/** How long after the first SIGINT or SIGTERM `octo sync` waits for files in flight to abort cleanly. */
export const CANCEL_DEADLINE_MS = 10_000;

/**
 * The CLI's answer to SIGINT and SIGTERM. The first signal cancels (every registered job is
 * told to abort its files in flight) and starts the deadline; whatever has not ended when it
 * passes is abandoned, so the process always ends. A second signal exits at once.
 */
export class SignalCancellation {
  private signal: NodeJS.Signals | undefined;
  private readonly cancels = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private passDeadline!: () => void;
  /** Resolves when the deadline after the first signal has passed; never without a signal. */
  readonly deadlinePassed = new Promise<void>((resolve) => (this.passDeadline = resolve));
  private readonly onSignal = (signal: NodeJS.Signals) => this.receive(signal);

  constructor(
    private readonly options: {
      readonly deadlineMs?: number;
      /** Told about the first signal (a line on stderr). */
      readonly onFirst?: (signal: NodeJS.Signals, deadlineMs: number) => void;
      /** The second signal: must end the process now. */
      readonly onSecond: (signal: NodeJS.Signals) => void;
    },
  ) {}

  get deadlineMs(): number {
    return this.options.deadlineMs ?? CANCEL_DEADLINE_MS;
  }

  /** The first signal received, if any. */
  get received(): NodeJS.Signals | undefined {
    return this.signal;
  }

  install(): void {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  uninstall(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    clearTimeout(this.timer);
  }

  /** Runs `cancel` on the first signal (at once when one was already received); returns the unregister function. */
  onCancel(cancel: () => void): () => void {
    if (this.signal) {
      cancel();
      return () => undefined;
    }
    this.cancels.add(cancel);
    return () => this.cancels.delete(cancel);
  }

  /** `work`'s result, or `undefined` when the deadline after a signal passes first. */
  withinDeadline<T>(work: Promise<T>): Promise<T | undefined> {
    return Promise.race([work, this.deadlinePassed.then(() => undefined)]);
  }

  private receive(signal: NodeJS.Signals): void {
    if (this.signal) {
      this.options.onSecond(signal);
      return;
    }
    this.signal = signal;
    this.options.onFirst?.(signal, this.deadlineMs);
    // Cleared by uninstall(), once every job has ended or been abandoned.
    this.timer = setTimeout(this.passDeadline, this.deadlineMs);
    for (const cancel of this.cancels) cancel();
    this.cancels.clear();
  }
}
