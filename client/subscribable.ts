/**
 * A set of listeners with hooks for the first and last one, the base of every client store.
 * `subscribe` is an arrow property so it can be passed around unbound (`useSyncExternalStore`).
 */
export class Subscribable<TListener extends (...args: never[]) => void = () => void> {
  protected readonly listeners = new Set<TListener>();

  /** Adds a listener; returns the function that removes it (safe to call twice). */
  subscribe = (listener: TListener): (() => void) => {
    this.listeners.add(listener);
    this.onSubscribe();
    return () => {
      if (this.listeners.delete(listener)) this.onUnsubscribe();
    };
  };

  /** How many listeners are registered. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Called after a listener was added. */
  protected onSubscribe(): void {}

  /** Called after a listener was removed. */
  protected onUnsubscribe(): void {}

  /** Calls every listener; one that throws neither stops the others nor the caller. */
  protected notify(...args: Parameters<TListener>): void {
    // Copy first: a listener may unsubscribe itself or others while we iterate.
    for (const listener of [...this.listeners]) {
      try {
        listener(...args);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  /** Reports a listener's error; by default rethrows it on a fresh stack, like an uncaught error. */
  protected onListenerError(error: unknown): void {
    setTimeout(() => {
      throw error;
    });
  }
}

/** The read side of every client store: what `useSyncExternalStore` needs. */
export interface JobcastStore<TSnapshot> {
  /** The current value; the same object until it changes, so identity comparison is enough. */
  getSnapshot(): TSnapshot;
  /** Calls `listener` after every change; returns the function that stops it. */
  subscribe(listener: () => void): () => void;
}
