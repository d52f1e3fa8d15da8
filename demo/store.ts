/**
 * The app's data, in Redis: documents, cached summaries (by text hash) and the injected
 * faults the worker reads. Used by the web server and the worker alike.
 */
import { Redis } from 'ioredis';
import { STEPS, type FaultMode, type StepName } from './config.js';
import { SEED_DOCUMENTS } from './seed.js';
import { textHash } from './summarizer.js';

export interface DemoDocument {
  id: string;
  owner: string;
  title: string;
  text: string;
  createdAt: number;
}

/** A finished summary, stored once per text. */
export interface StoredSummary {
  summary: string;
  sentences: number;
  picked: number;
  computedAt: number;
}

// Reads a step's fault; a one-time fault is deleted by the run that hits it, so exactly one run fails.
const TAKE_FAULT = `
local mode = redis.call('HGET', KEYS[1], ARGV[1])
if mode == 'once' then redis.call('HDEL', KEYS[1], ARGV[1]) end
return mode
`;

export class DemoStore {
  readonly redis: Redis;
  readonly #prefix: string;

  constructor(redisUrl: string, appPrefix: string) {
    this.redis = new Redis(redisUrl, { lazyConnect: false, connectionName: `${appPrefix}:app` });
    this.redis.on('error', () => undefined); // ioredis reconnects; commands fail loudly on their own
    this.#prefix = appPrefix;
  }

  #key = (...parts: string[]) => [this.#prefix, ...parts].join(':');

  /** Stores the sample documents the first time the demo runs on this Redis. */
  async seed(): Promise<void> {
    if ((await this.redis.set(this.#key('seeded'), '1', 'NX')) !== 'OK') return;
    const now = Date.now();
    for (const [index, document] of SEED_DOCUMENTS.entries()) {
      await this.#save({ id: String(index + 1), ...document, createdAt: now + index });
    }
    await this.redis.set(this.#key('doc-seq'), String(SEED_DOCUMENTS.length));
  }

  async #save(document: DemoDocument): Promise<void> {
    await this.redis
      .multi()
      .hset(this.#key('doc', document.id), { ...document, createdAt: String(document.createdAt) })
      .zadd(this.#key('docs'), document.createdAt, document.id)
      .exec();
  }

  /** Adds a user's own text and returns it. */
  async addDocument(owner: string, title: string, text: string): Promise<DemoDocument> {
    const id = String(await this.redis.incr(this.#key('doc-seq')));
    const document = { id, owner, title, text, createdAt: Date.now() };
    await this.#save(document);
    return document;
  }

  async getDocument(id: string): Promise<DemoDocument | undefined> {
    if (!/^\d{1,12}$/.test(id)) return undefined;
    const fields = await this.redis.hgetall(this.#key('doc', id));
    if (!fields.id) return undefined;
    return { id: fields.id, owner: fields.owner ?? '', title: fields.title ?? '', text: fields.text ?? '', createdAt: Number(fields.createdAt) };
  }

  /** Who owns a document, for the room rule; undefined when there is no such document. */
  async ownerOf(id: string): Promise<string | undefined> {
    return /^\d{1,12}$/.test(id) ? ((await this.redis.hget(this.#key('doc', id), 'owner')) ?? undefined) : undefined;
  }

  /** Every document, oldest first. */
  async listDocuments(): Promise<DemoDocument[]> {
    const ids = await this.redis.zrange(this.#key('docs'), 0, -1);
    const documents = await Promise.all(ids.map((id) => this.getDocument(id)));
    return documents.filter((document): document is DemoDocument => document !== undefined);
  }

  async getSummary(text: string): Promise<StoredSummary | undefined> {
    const raw = await this.redis.get(this.#key('summary', textHash(text)));
    return raw ? (JSON.parse(raw) as StoredSummary) : undefined;
  }

  async saveSummary(text: string, summary: StoredSummary): Promise<void> {
    await this.redis.set(this.#key('summary', textHash(text)), JSON.stringify(summary));
  }

  /** Forgets every cached summary, so the next "Summarize" computes again. Returns how many were dropped. */
  async clearSummaries(): Promise<number> {
    let dropped = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', this.#key('summary', '*'), 'COUNT', 200);
      cursor = next;
      if (keys.length > 0) dropped += await this.redis.del(...keys);
    } while (cursor !== '0');
    return dropped;
  }

  /** The faults set per step (steps without one are left out). */
  async getFaults(): Promise<Partial<Record<StepName, Exclude<FaultMode, 'off'>>>> {
    const all = await this.redis.hgetall(this.#key('faults'));
    return Object.fromEntries(STEPS.flatMap((step) => (all[step] === 'once' || all[step] === 'always' ? [[step, all[step]]] : [])));
  }

  async setFault(step: StepName, mode: FaultMode): Promise<void> {
    if (mode === 'off') await this.redis.hdel(this.#key('faults'), step);
    else await this.redis.hset(this.#key('faults'), step, mode);
  }

  /** Called by the worker as a step starts: should this run fail? Consumes a one-time fault. */
  async takeFault(step: StepName): Promise<FaultMode> {
    const mode = (await this.redis.eval(TAKE_FAULT, 1, this.#key('faults'), step)) as string | null;
    return mode === 'once' || mode === 'always' ? mode : 'off';
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
