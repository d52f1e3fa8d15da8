import type { StatusEvent } from '../shared/index.js';
import type { RoomStore } from './roomStore.js';
import type { SubscriptionHandle } from './types.js';

/**
 * One caller's hold on a room: takes a reference on the store, and releases it with every
 * listener added through the handle on `unsubscribe()` (safe to call twice; listeners added
 * after it are ignored).
 */
export function createSubscriptionHandle(store: RoomStore, listener?: (event: StatusEvent) => void): SubscriptionHandle {
  const release = store.acquire();
  const removers = new Set<() => void>();
  if (listener) removers.add(store.onEvent(listener));
  let released = false;
  const hold = (add: () => () => void): (() => void) => {
    if (released) return () => undefined;
    const remove = add();
    removers.add(remove);
    return () => {
      removers.delete(remove);
      remove();
    };
  };
  return {
    room: store.room,
    getSnapshot: store.getSnapshot,
    subscribe: (onChange) => hold(() => store.subscribe(onChange)),
    onState: (onState) => hold(() => store.onState(onState)),
    unsubscribe: () => {
      if (released) return;
      released = true;
      for (const remove of removers) remove();
      removers.clear();
      release();
    },
  };
}
