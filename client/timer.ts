/** A cancellable one-shot timer; starting it again replaces the pending run. */
export class OneShotTimer {
  #handle: ReturnType<typeof setTimeout> | undefined;

  /** True between `start` and the run (or `cancel`). */
  get pending(): boolean {
    return this.#handle !== undefined;
  }

  /** Runs `run` once after `delayMs`, cancelling any pending run first. */
  start(delayMs: number, run: () => void): void {
    this.cancel();
    this.#handle = setTimeout(() => {
      this.#handle = undefined;
      run();
    }, delayMs);
  }

  /** Drops the pending run, if any. */
  cancel(): void {
    clearTimeout(this.#handle);
    this.#handle = undefined;
  }
}
