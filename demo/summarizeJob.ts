/**
 * The summary job: fetch → chunk → summarize → persist, each a named jobcast step that
 * reports its progress. Idempotent: a text that already has a summary is answered from the
 * cache before any step runs. Faults set in the demo controls are injected here.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import { logger, reportProgress, step } from '../server/worker/index.js';
import { FAULT_REASON_PREFIX, STEPS, jobs, type StepName } from './config.js';
import type { DemoStore, StoredSummary } from './store.js';
import { chunkSentences, splitSentences, stepDelayMs, summarize, wordFrequencies } from './summarizer.js';

/** What a summary job returns; the server publishes it through the queue's projection. */
export interface SummaryResult {
  summary: string;
  cached: boolean;
  sentences: number;
  picked: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Options of one simulated step. */
interface WorkOptions {
  /** Seeds the step's duration, so the same text always takes the same time. */
  seed: string;
  /** Progress reports within the step. */
  ticks: number;
  /** What the page shows under the progress bar at each tick (1-based). */
  detail: (tick: number) => string;
}

/**
 * Runs `fn` as step `name`, after a realistic delay cut into `ticks` progress reports. An
 * injected fault throws at the first tick, so the bar moves a little before the step fails.
 */
function runStep<T>(store: DemoStore, name: StepName, options: WorkOptions, fn: () => T | Promise<T>): Promise<T> {
  const index = STEPS.indexOf(name);
  return step(
    name,
    async () => {
      // The detail of the previous step would otherwise stay on screen until this one's first tick.
      await reportProgress(undefined, { detail: options.detail(1) });
      const tickMs = stepDelayMs(options.seed, name) / options.ticks;
      for (let tick = 1; tick <= options.ticks; tick++) {
        await sleep(tickMs);
        if (tick === 1) {
          const fault = await store.takeFault(name);
          if (fault !== 'off') throw new Error(`${FAULT_REASON_PREFIX} "${name}" (${fault}), set in the demo's failure controls`);
        }
        const percent = ((index + tick / (options.ticks + 1)) / STEPS.length) * 100;
        await reportProgress(Math.round(percent), { detail: options.detail(tick) });
      }
      return fn();
    },
    { total: STEPS.length },
  );
}

/** The BullMQ processor of the demo's queue, for `createJobcastWorker`. */
export function createSummarizeProcessor(store: DemoStore) {
  return async (job: Job): Promise<SummaryResult> => {
    const parsed = jobs.summarize.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('Invalid job data');
    const { documentId } = parsed.data;

    // Idempotent: a text summarized before is answered from the cache at once, before any step
    // runs (no fetch delay, no injected fault): the work is not done again.
    const known = await store.getDocument(documentId);
    const cached = known ? await store.getSummary(known.text) : undefined;
    if (cached) {
      logger().info({ document_id: documentId }, 'summary found in the cache');
      await reportProgress(100, { detail: 'Found a finished summary of this text: not computed again' });
      return { summary: cached.summary, cached: true, sentences: cached.sentences, picked: cached.picked };
    }

    const fetched = await runStep(store, 'fetch', { seed: documentId, ticks: 2, detail: () => `Reading document ${documentId}` }, async () => {
      const document = await store.getDocument(documentId);
      if (!document) throw new UnrecoverableError(`Document ${documentId} does not exist`);
      return { text: document.text };
    });
    const { text } = fetched;

    const chunks = await runStep(store, 'chunk', { seed: text, ticks: 2, detail: () => 'Splitting the text into sentences' }, () =>
      chunkSentences(splitSentences(text)),
    );
    const sentences = chunks.flat();

    const picked = await runStep(
      store,
      'summarize',
      { seed: text, ticks: Math.max(2, chunks.length), detail: (tick) => `Scoring chunk ${Math.min(tick, chunks.length)} of ${chunks.length}` },
      () => summarize(sentences, wordFrequencies(sentences)),
    );

    const stored: StoredSummary = { summary: picked.join(' '), sentences: sentences.length, picked: picked.length, computedAt: Date.now() };
    await runStep(store, 'persist', { seed: text, ticks: 2, detail: () => 'Saving the summary' }, () => store.saveSummary(text, stored));
    return { summary: stored.summary, cached: false, sentences: stored.sentences, picked: stored.picked };
  };
}
