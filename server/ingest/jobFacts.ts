import type { ChainableCommander } from 'ioredis';

/** What the ingest reads of a BullMQ job record: the fields a status needs, never the return value. */
export interface JobFacts {
  name: string;
  /** BullMQ's `timestamp` of the job: set when it was added, so it tells two incarnations of one id apart. */
  timestamp: number;
  opts: { attempts?: number; delay?: number };
  /** BullMQ's `atm`: attempts that finished (failed and retried, or final). */
  attemptsMade: number;
  processedOn?: number;
  finishedOn?: number;
  progress: unknown;
  failedReason?: string;
  /** Only read when the queue has a projection (job data can be large). */
  data: unknown;
}

const FIELDS = ['name', 'timestamp', 'opts', 'atm', 'processedOn', 'finishedOn', 'progress', 'failedReason'] as const;

/** Queues an HMGET of a job record on a MULTI; {@link toJobFacts} reads its reply. */
export function readJobFacts(multi: ChainableCommander, jobKey: string, withData: boolean): void {
  multi.hmget(jobKey, ...FIELDS, ...(withData ? ['data'] : []));
}

/** The facts of an HMGET reply, or undefined when the record does not exist. */
export function toJobFacts(reply: unknown): JobFacts | undefined {
  const values = reply as Array<string | null>;
  const [name, timestamp, opts, atm, processedOn, finishedOn, progress, failedReason, data] = values;
  if (timestamp === null || timestamp === undefined) return undefined; // every BullMQ job record has one
  const facts: JobFacts = {
    name: name ?? '',
    timestamp: Number(timestamp),
    opts: (parseJson(opts) as JobFacts['opts'] | undefined) ?? {},
    attemptsMade: Number(atm ?? 0),
    progress: parseJson(progress) ?? 0,
    data: parseJson(data),
  };
  if (processedOn) facts.processedOn = Number(processedOn);
  if (finishedOn) facts.finishedOn = Number(finishedOn);
  if (failedReason) facts.failedReason = failedReason;
  return facts;
}

function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
