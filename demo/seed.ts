/** The sample documents the demo starts with: two for alice, two for bob. */
export const SEED_DOCUMENTS = [
  {
    owner: 'alice',
    title: 'Why background jobs go quiet',
    text:
      'Background jobs keep web requests fast by moving slow work out of the request. ' +
      'A summary, an import or an export runs on a worker while the page shows a spinner. ' +
      'The trouble starts when the page waits for a job that it will never hear from. ' +
      'The job may have failed, and nobody told the page. ' +
      'The job may have finished while the socket was down, so the message went nowhere. ' +
      'The subscription may have been refused without a word, which leaves the page waiting forever. ' +
      'A stale worker may have picked the job up and run old code. ' +
      'Each of these looks the same to a user: a spinner that never stops. ' +
      'A job status layer has to deliver every state to the page, and it has to explain the silence when it cannot.',
  },
  {
    owner: 'bob',
    title: 'Cursors, replay and gaps',
    text:
      'A socket can drop at any moment, on a train, in a lift, or when a laptop lid closes. ' +
      'Messages sent while it was down are lost unless the server keeps them. ' +
      'Each room therefore numbers its messages with a cursor that only grows. ' +
      'A client remembers the last cursor it applied and sends it when it comes back. ' +
      'The server replays what came after that cursor from a bounded history. ' +
      'When the history no longer reaches back far enough, the server sends a fresh snapshot instead. ' +
      'Either way the client counts the gap, so a developer can see that messages were missed and recovered. ' +
      'Duplicates are dropped on the cursor, which makes delivery at least once on the wire and exactly once on screen.',
  },
  {
    owner: 'alice',
    title: 'Retries with backoff',
    text:
      'Most failures of a background job are transient: a timeout, a busy database, a network blip. ' +
      'Retrying at once tends to hit the same busy system again. ' +
      'Exponential backoff waits longer after each failure, two seconds, then four, then eight. ' +
      'Jitter spreads the retries of many jobs so they do not arrive in lockstep. ' +
      'A job should still give up after a few attempts, and its failure must stay visible. ' +
      'Checkpoints let a retry skip the steps that already succeeded, which saves time and avoids repeating side effects. ' +
      'The page should show the countdown to the next attempt, so a user knows the job is not stuck.',
  },
  {
    owner: 'bob',
    title: 'The lighthouse keeper',
    text:
      'The lighthouse keeper climbed the stairs every evening at dusk. ' +
      'He trimmed the wick, polished the lens and wound the clockwork that turned the light. ' +
      'Ships he would never meet steered by the beam he kept alive. ' +
      'One winter a storm broke the telegraph line to the mainland. ' +
      'For three weeks no message reached him, and he did not know whether anyone still needed the light. ' +
      'He kept it burning anyway, and he wrote down every ship he saw in a log. ' +
      'When the line was repaired, he sent the whole log at once, and the harbour master learned what he had missed. ' +
      'The keeper said later that a light is only useful if someone can tell when it went dark.',
  },
] as const;
