import { Worker } from 'bullmq';

export const SUMMARY_QUEUE = 'summaries';

/** The demo's summarizer: fake steps with progress, so a page has something to watch. */
export function startDemoWorker(redisUrl: string): Worker {
  return new Worker(
    SUMMARY_QUEUE,
    async (job) => {
      const text = String(job.data.text ?? '');
      const sentences = text.split(/(?<=[.!?])\s+/).filter(Boolean);
      for (const [index, step] of ['fetch', 'chunk', 'summarize', 'persist'].entries()) {
        await job.updateProgress({ percent: index * 25, step: { name: step, status: 'started', index, total: 4 } });
        await new Promise((resolve) => setTimeout(resolve, 600));
      }
      return { summary: sentences.slice(0, 2).join(' ') };
    },
    { connection: { url: redisUrl, maxRetriesPerRequest: null } },
  );
}
