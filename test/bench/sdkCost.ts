import { applyLiveEvent, createRoomState } from '../../client/roomState.js';
import { StatusEventSchema, type StatusEvent } from '../../shared/index.js';

/**
 * What the browser SDK spends per event, apart from any network: validating the push with
 * zod and applying it to the room's cursor state. Microseconds per event.
 */
export function measureSdkCost(events = 50_000): number {
  const base = { room: 'bench:0', epoch: 'e1', event: 'progress' as const, at: Date.now() };
  const status = { jobId: 'j1', queue: 'bench', incarnation: 'i1', state: 'active' as const, attempt: 1, maxAttempts: 3, progress: 50, updatedAt: Date.now() };
  let state = { ...createRoomState(), epoch: 'e1' };
  const started = performance.now();
  for (let seq = 1; seq <= events; seq++) {
    const parsed = StatusEventSchema.parse({ ...base, seq, status } satisfies StatusEvent);
    state = applyLiveEvent(state, parsed).state as typeof state;
  }
  return ((performance.now() - started) * 1_000) / events;
}
