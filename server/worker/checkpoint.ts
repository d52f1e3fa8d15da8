import { createKeys } from '../store/keys.js';
import type { Redis } from 'ioredis';

/** How long a job's checkpoint outlives its last write. @default 86_400_000 (24 h) */
export const DEFAULT_CHECKPOINT_TTL_MS = 24 * 3600 * 1_000;

// Step fields and the bookkeeping field live apart, so no step name can collide with it.
const STEP_FIELD = (key: string) => `s:${key}`;
const CREATED_FIELD = 'm:created';

/** The Redis hash of one job's completed steps: `${keyPrefix}:ckpt:${queue}:${jobId}`. */
export const checkpointKey = (keyPrefix: string, queue: string, jobId: string) => createKeys(keyPrefix).checkpoint(queue, jobId);

/**
 * The steps a job completed in earlier attempts, with their return values. Loaded once per
 * attempt; a step found here is skipped and returns the stored value.
 */
export class JobCheckpoint {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #ttlMs: number;
  readonly #created: string;
  readonly #values: Map<string, string>;

  private constructor(redis: Redis, key: string, ttlMs: number, created: string, values: Map<string, string>) {
    this.#redis = redis;
    this.#key = key;
    this.#ttlMs = ttlMs;
    this.#created = created;
    this.#values = values;
  }

  /**
   * Reads a job's checkpoint. `created` is the job's creation time: a hash left by an
   * earlier job that had the same custom id (removed, then added again) is discarded instead
   * of making the new job skip steps it never ran.
   */
  static async load(redis: Redis, key: string, ttlMs: number, created: number): Promise<JobCheckpoint> {
    const stored = await redis.hgetall(key);
    const values = new Map<string, string>();
    if (stored[CREATED_FIELD] === String(created)) {
      for (const [field, value] of Object.entries(stored)) if (field.startsWith('s:')) values.set(field.slice(2), value);
    } else if (Object.keys(stored).length > 0) {
      await redis.del(key);
    }
    return new JobCheckpoint(redis, key, ttlMs, String(created), values);
  }

  /** True when the step (by its checkpoint key) completed in an earlier attempt. */
  has(stepKey: string): boolean {
    return this.#values.has(stepKey);
  }

  /** The stored return value of a completed step (JSON round-trip: a Date comes back as a string). */
  get(stepKey: string): unknown {
    const raw = this.#values.get(stepKey);
    return raw === undefined ? undefined : (JSON.parse(raw) as { value?: unknown }).value;
  }

  /**
   * Records a completed step and refreshes the TTL, in one MULTI.
   * @throws when the value cannot be serialized to JSON or Redis refuses the write
   */
  async save(stepKey: string, value: unknown): Promise<void> {
    // Wrapped so that `undefined` (a step with no result) is stored too.
    const raw = JSON.stringify({ value });
    const results = await this.#redis
      .multi()
      .hset(this.#key, CREATED_FIELD, this.#created, STEP_FIELD(stepKey), raw)
      .pexpire(this.#key, this.#ttlMs)
      .exec();
    // A MULTI resolves even when a command in it failed: surface that failure.
    const failed = results?.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
    this.#values.set(stepKey, raw);
  }

  /** Deletes the checkpoint: called when the job completes, since no retry will need it. */
  async clear(): Promise<void> {
    await this.#redis.del(this.#key);
    this.#values.clear();
  }
}
