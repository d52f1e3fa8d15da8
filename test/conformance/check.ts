/**
 * The comparison: BullMQ's truth → what each client should show in each room it watches →
 * what it shows. Also counts misrouted statuses from the clients' listeners: a status
 * received in a room its job incarnation was not routed to.
 */
import type { Job } from 'bullmq';
import { isTerminalStatus, jobKeyOf, type JobState, type JobStatus } from '../../shared/index.js';
import { tagOfStatus, type ClientRecorder, type Received } from './clients.js';
import { dataTagOf, publicStateOf, type JobRecord, type Truth } from './model.js';
import type { ClientName } from './rooms.js';
import type { World } from './world.js';

export type MismatchKind =
  | 'lost terminal state'
  | 'missing from page'
  | 'wrong state'
  | 'other incarnation shown'
  | 'attempt'
  | 'progress'
  | 'misrouted'
  | 'misrouted (on page)'
  | 'revived after terminal'
  | 'unattributed status'
  | 'truth unknown';

export interface Mismatch {
  feature: string;
  kind: MismatchKind;
  detail: string;
}

/** What one client should show for one job in one room. */
interface Expected {
  states: ReadonlySet<JobState>;
  /** The job may be absent from the page (the client never saw it before Redis lost it). */
  absentOk: boolean;
  attempt?: number;
  progress?: unknown;
  why: string;
}

const set = (...states: JobState[]) => new Set<JobState>(states);
const FINISHED = set('completed', 'failed');

/** Progress as compared: BullMQ's default 0 and "never reported" are the same. */
const progressKey = (value: unknown) => (value === undefined || value === null || value === 0 ? '0' : JSON.stringify(value));

/** Views of every client captured just before Redis lost its data, by the time of the loss. */
export type ViewsAtWipe = Map<number, Map<ClientName, Map<string, Map<string, JobStatus>>>>;

export class Checker {
  readonly #world: World;
  readonly #truth = new Map<string, Truth>();
  readonly #viewsAtWipe: ViewsAtWipe;

  constructor(world: World, viewsAtWipe: ViewsAtWipe) {
    this.#world = world;
    this.#viewsAtWipe = viewsAtWipe;
  }

  /**
   * Final states BullMQ wrote into its events streams, by tag: the truth of a job removed on
   * finishing whose completion its worker never heard (the reply was lost to a Redis restart).
   */
  readonly #streamFinish = new Map<string, JobState>();
  #streamsRead = false;

  /** Reads BullMQ's view of `records` (all of them when omitted). */
  async readTruth(records: Iterable<JobRecord> = this.#world.records.values()): Promise<void> {
    const list = [...records].filter((record) => record.via !== 'scheduler');
    // Once, when BullMQ has settled: the streams only grow from then on.
    if (!this.#streamsRead) await this.#readStreamFinishes(new Set(list.map((record) => record.queue)));
    this.#streamsRead = true;
    this.#keyIndex = undefined;
    let next = 0;
    const lane = async () => {
      while (next < list.length) {
        const record = list[next++]!;
        this.#truth.set(record.tag, await this.#readOne(record));
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
  }

  async #readStreamFinishes(queues: Set<string>): Promise<void> {
    for (const queue of queues) {
      const entries = (await this.#world.admin.xrange(this.#world.bullKey(queue, 'events'), '-', '+')) as Array<[string, string[]]>;
      for (const [, flat] of entries) {
        const fields = new Map<string, string>();
        for (let index = 0; index + 1 < flat.length; index += 2) fields.set(flat[index]!, flat[index + 1]!);
        const event = fields.get('event');
        if (event === 'completed') {
          const tag = (() => {
            try {
              return (JSON.parse(fields.get('returnvalue') ?? 'null') as { tag?: unknown } | null)?.tag;
            } catch {
              return undefined;
            }
          })();
          if (typeof tag === 'string') this.#streamFinish.set(tag, 'completed');
        } else if (event === 'failed') {
          const tag = /^fail:([^:]+):/.exec(fields.get('failedReason') ?? '')?.[1];
          if (tag) this.#streamFinish.set(tag, 'failed');
        }
      }
    }
  }

  async #readOne(record: JobRecord): Promise<Truth> {
    const job: Job | undefined = await this.#world.queue(record.queue).getJob(record.jobId).catch(() => undefined);
    if (!job || (job.data as { tag?: string } | undefined)?.tag !== dataTagOf(record)) return {};
    const state = publicStateOf(await job.getState());
    if (!state) return {};
    return { live: { state, attemptsMade: job.attemptsMade, progress: job.progress, finished: state === 'completed' || state === 'failed' } };
  }

  /** What `client` should show for `record` in a room it was routed to, or undefined when it cannot be said. */
  expected(record: JobRecord, client: ClientRecorder, room: string): Expected | undefined {
    if (record.uncertain) return undefined;
    if (record.wipedAt !== undefined) return this.#expectedAfterWipe(record, client.name, room);
    const live = this.#truth.get(record.tag)?.live;
    if (!live && record.obliteratedAt !== undefined) {
      // The job and its events stream are gone: what the page saw final stays; otherwise lost is the truth.
      const final = [...client.received].reverse().find((item) => item.room === room && item.terminal && this.#sameRecord(item, record));
      if (final) return { states: set(final.state as JobState), absentOk: false, why: `obliterated after the page showed ${final.state}: finished stays finished` };
      const terminal = record.finish?.state ?? (record.deduplicatedBy ? 'deduplicated' : undefined);
      return { states: terminal ? set('unknown', 'removed', terminal) : set('unknown', 'removed'), absentOk: true, why: 'obliterated (with its events stream) before the page saw it finish' };
    }
    if (live) {
      const attempt = live.finished ? Math.max(1, live.attemptsMade) : live.attemptsMade + 1;
      return { states: set(live.state), absentOk: false, attempt, progress: live.progress, why: `BullMQ: ${live.state}, attemptsMade ${live.attemptsMade}` };
    }
    if (record.finish && record.eventsTrimmedAt !== undefined) {
      // Removed on finishing, and its events may have been trimmed unread: BullMQ kept nothing to tell.
      const { state, attemptsMade } = record.finish;
      const final = [...client.received].reverse().find((item) => item.room === room && item.terminal && this.#sameRecord(item, record));
      if (final) return { states: set(final.state as JobState), absentOk: false, why: `the page saw ${final.state}; its events were trimmed later` };
      // A job scheduler's job has no route of its own: with its record and events gone, nothing in Redis names it (as after obliterate).
      if (record.via === 'scheduler-job') return { states: set(state, 'unknown'), absentOk: true, why: `a job scheduler's job, ${state} and removed, its events trimmed unread: nothing in Redis names it` };
      return { states: set(state, 'unknown'), absentOk: false, why: `worker saw it ${state} (attemptsMade ${attemptsMade}), removed; its events trimmed unread: ${state} or unknown, never nothing` };
    }
    if (record.finish) {
      const { state, attemptsMade, progress } = record.finish;
      return { states: set(state), absentOk: false, attempt: Math.max(1, attemptsMade), progress, why: `worker saw it ${state} (attemptsMade ${attemptsMade}), then it was removed` };
    }
    if (record.deduplicatedBy) return { states: set('deduplicated'), absentOk: false, why: `deduplicated by ${record.deduplicatedBy}` };
    if (record.removed) {
      const by = record.removed.by;
      // Removed before a trim: its `removed` event may be gone unread, and BullMQ kept nothing to tell.
      const trimmed = record.eventsTrimmedAt !== undefined && record.removed.at <= record.eventsTrimmedAt;
      const orLost = (why: string) => (trimmed ? { states: set('unknown'), why: `${why}; its events trimmed unread: or unknown, never nothing` } : { states: set(), why });
      if (by === 'remove') {
        const lost = orLost('job.remove()');
        return { states: set('removed', ...lost.states), absentOk: false, why: lost.why };
      }
      if (by === 'debounce') {
        const lost = orLost('replaced by a debounced add');
        return { states: set('removed', 'deduplicated', ...lost.states), absentOk: false, why: lost.why };
      }
      // obliterate deletes the events stream too: a job whose events nobody read may never appear.
      return { states: set('removed', 'unknown'), absentOk: by === 'obliterate', why: `queue.${by}()` };
    }
    // Gone from BullMQ, its worker never told: BullMQ's events stream still says how it ended.
    const ended = this.#streamFinish.get(dataTagOf(record));
    if (ended) return { states: set(ended), absentOk: false, why: `BullMQ's events stream: ${ended} (its worker never heard its own reply)` };
    return undefined;
  }

  #expectedAfterWipe(record: JobRecord, client: ClientName, room: string): Expected {
    const wipedAt = record.wipedAt!;
    const terminal: JobState | undefined =
      // Facts after the loss are not recorded (see World), so any fact here came before it was complete.
      record.finish ? record.finish.state : record.deduplicatedBy ? 'deduplicated' : record.removed ? 'removed' : undefined;
    const shown = this.#viewsAtWipe.get(wipedAt)?.get(client)?.get(room)?.get(jobKeyOf(record));
    const saw = shown && (tagOfStatus(shown) ?? dataTagOf(record)) === dataTagOf(record) ? shown : undefined;
    if (saw && isTerminalStatus(saw)) return { states: set(saw.state), absentOk: false, why: `Redis lost its data after the page showed ${saw.state}: finished stays finished` };
    const states = terminal ? set('unknown', terminal) : set('unknown');
    return { states, absentOk: saw === undefined, why: `Redis lost its data while the job was ${saw ? `shown ${saw.state}` : 'not on the page'}` };
  }

  /** Which record a status is about: by its projected tag, then its incarnation, then the only record with its id. */
  attribute(status: { queue: string; jobId: string; incarnation?: string | undefined; tag?: string | undefined; room?: string }, incarnations: Map<string, string>): JobRecord | undefined {
    const records = this.#world.records;
    if (status.tag) {
      const record = records.get(status.tag);
      if (record?.via === 'scheduler') return records.get(`${status.tag}@${status.jobId}`) ?? record;
      if (record) return record;
    }
    if (status.incarnation) {
      const tag = incarnations.get(`${status.queue}/${status.jobId}/${status.incarnation}`);
      if (tag) return records.get(tag);
    }
    const same = this.#byKey().get(`${status.queue}/${status.jobId}`) ?? [];
    if (same.length === 1) return same[0];
    // A job a scheduler added (`repeat:<schedulerId>:<millis>`) that no worker finished: its scheduler's.
    const scheduler = /^repeat:([^:]+):/.exec(status.jobId)?.[1];
    if (scheduler !== undefined && same.length === 0) {
      const template = this.#byKey().get(`${status.queue}/scheduler:${scheduler}`);
      if (template?.length === 1) return template[0];
    }
    // An incarnation named by a time (the `added` event's stream id, or `t<job timestamp>`): the
    // one add of that id whose call spanned that moment.
    const time = /^t?(\d{12,})/.exec(status.incarnation ?? '')?.[1];
    if (time === undefined) return undefined;
    const at = Number(time);
    // The add whose call spanned the moment; a 2 ms tolerance only when none did exactly (adds of
    // one id can follow each other within a millisecond or two, so the tolerance alone is ambiguous).
    const exactly = same.filter((record) => record.addedFrom <= at && at <= record.createdAt);
    const spanning = exactly.length > 0 ? exactly : same.filter((record) => record.addedFrom - 2 <= at && at <= record.createdAt + 2);
    if (spanning.length === 1) return spanning[0];
    // One add ended and the next began in the same millisecond: jobcast gave them two timestamps,
    // but the suite's clock cannot tell which is which; the one routed to the room it was seen in is.
    const routedHere = status.room === undefined ? [] : spanning.filter((record) => record.rooms.includes(status.room!));
    return routedHere.length === 1 ? routedHere[0] : undefined;
  }

  #sameRecord(item: Received, record: JobRecord): boolean {
    if (item.queue !== record.queue || item.jobId !== record.jobId) return false;
    return item.tag === undefined || item.tag === dataTagOf(record);
  }

  #keyIndex: Map<string, JobRecord[]> | undefined;
  #byKey(): Map<string, JobRecord[]> {
    if (!this.#keyIndex) {
      this.#keyIndex = new Map();
      for (const record of this.#world.records.values()) {
        const key = jobKeyOf(record);
        const list = this.#keyIndex.get(key) ?? [];
        list.push(record);
        this.#keyIndex.set(key, list);
      }
    }
    return this.#keyIndex;
  }

  /** Incarnation → tag, learned from every status that carried both. */
  incarnations(clients: Iterable<ClientRecorder>): Map<string, string> {
    const map = new Map<string, string>();
    for (const client of clients) {
      for (const item of client.received) if (item.tag && item.incarnation) map.set(`${item.queue}/${item.jobId}/${item.incarnation}`, item.tag);
      for (const jobs of client.view().values()) {
        for (const status of jobs.values()) {
          const tag = tagOfStatus(status);
          if (tag && status.incarnation) map.set(`${status.queue}/${status.jobId}/${status.incarnation}`, tag);
        }
      }
    }
    return map;
  }

  /** Compares every client's pages with the truth; returns the mismatches and how many comparisons passed. */
  comparePages(clients: Iterable<ClientRecorder>): { passed: number; inferredOneMore: number; mismatches: Mismatch[]; wrongRecords: Set<JobRecord> } {
    this.#keyIndex = undefined;
    const mismatches: Mismatch[] = [];
    const wrongRecords = new Set<JobRecord>();
    let passed = 0;
    let inferredOneMore = 0;
    const clientList = [...clients];
    const incarnations = this.incarnations(clientList);
    // The latest incarnation routed to each room, per queue/jobId.
    const latest = new Map<string, Map<string, JobRecord>>();
    for (const record of this.#world.records.values()) {
      if (record.via === 'scheduler') continue;
      for (const room of record.rooms) {
        const jobs = latest.get(room) ?? new Map<string, JobRecord>();
        const key = jobKeyOf(record);
        const current = jobs.get(key);
        if (!current || current.order < record.order) jobs.set(key, record);
        latest.set(room, jobs);
      }
    }
    for (const client of clientList) {
      const view = client.view();
      for (const room of client.rooms) {
        const shown = view.get(room) ?? new Map<string, JobStatus>();
        const routed = latest.get(room) ?? new Map<string, JobRecord>();
        for (const [key, record] of routed) {
          const expected = this.expected(record, client, room);
          const status = shown.get(key);
          const where = `${client.name} ${room} ${key} [${record.tag}]`;
          if (!expected) {
            if (!record.uncertain) {
              mismatches.push({ feature: record.feature, kind: 'truth unknown', detail: `${where}: the suite cannot tell what BullMQ did with it; page shows ${describe(status)}` });
              wrongRecords.add(record);
            } else passed += 1;
            continue;
          }
          // The expected job may be absent (Redis lost it before any page saw it): the page then
          // rightly keeps what it showed of an earlier job of that id routed to this room, when
          // that is right for the earlier job: its final status, or `unknown` once Redis lost it too.
          const shownRecord = status && expected.absentOk ? this.attribute({ queue: status.queue, jobId: status.jobId, incarnation: status.incarnation, tag: tagOfStatus(status), room }, incarnations) : undefined;
          const rightForEarlier = (earlier: JobRecord) => {
            if (status!.state === earlier.finish?.state) return true;
            const own = this.expected(earlier, client, room);
            return own !== undefined && compare(own, status, earlier) === undefined;
          };
          const earlierShownRightly = shownRecord !== undefined && shownRecord.order < record.order && shownRecord.rooms.includes(room) && rightForEarlier(shownRecord);
          const problem = earlierShownRightly ? undefined : compare(expected, status, record);
          const history = () => historyOf(client, room, key);
          if (problem) {
            mismatches.push({ feature: record.feature, kind: problem.kind, detail: `${where}: shows ${describe(status)}, expected ${[...expected.states].join('|')}${problem.kind === 'attempt' ? ` attempt ${expected.attempt}` : ''}${problem.kind === 'progress' ? ` progress ${progressKey(expected.progress)}` : ''} (${expected.why}); received ${history()}` });
            wrongRecords.add(record);
          } else {
            passed += 1;
            if (status?.attemptInferred && expected.attempt !== undefined && status.attempt === expected.attempt + 1) inferredOneMore += 1;
          }
        }
        for (const [key, status] of shown) {
          if (routed.has(key)) continue;
          const record = this.attribute({ queue: status.queue, jobId: status.jobId, incarnation: status.incarnation, tag: tagOfStatus(status), room }, incarnations);
          const where = `${client.name} ${room} ${key}`;
          // A job the suite does not track one by one (a scheduler's pending next job) in a room it was routed to.
          if (record && record.rooms.includes(room)) continue;
          if (record) mismatches.push({ feature: record.feature, kind: 'misrouted (on page)', detail: `${where} [${record.tag}]: shows ${describe(status)}; the job was routed to ${record.rooms.join(',') || 'no room'}` });
          else mismatches.push({ feature: 'unknown', kind: 'unattributed status', detail: `${where}: shows ${describe(status)}, no job of the workload` });
        }
      }
    }
    return { passed, inferredOneMore, mismatches, wrongRecords };
  }

  /**
   * Statuses the clients' listeners received in rooms their job incarnation was not routed to;
   * and incarnations that went on after a final status in a room (a later job's events
   * delivered as an earlier incarnation's).
   */
  misrouted(clients: Iterable<ClientRecorder>): { count: number; unattributed: number; revived: number; mismatches: Mismatch[] } {
    this.#keyIndex = undefined;
    const clientList = [...clients];
    const incarnations = this.incarnations(clientList);
    const mismatches: Mismatch[] = [];
    let count = 0;
    let unattributed = 0;
    let revived = 0;
    for (const client of clientList) {
      const finishedIn = new Set<string>();
      for (const item of client.received) {
        const record = this.attribute(item, incarnations);
        if (record) {
          const key = `${item.room}\n${record.tag}`;
          if (item.terminal) finishedIn.add(key);
          else if (finishedIn.has(key)) {
            revived += 1;
            mismatches.push({ feature: record.feature, kind: 'revived after terminal', detail: `${client.name} received ${describeReceived(item)} [${record.tag}] after a final status of that incarnation` });
          }
        }
        if (!record) {
          unattributed += 1;
          mismatches.push({ feature: 'unknown', kind: 'unattributed status', detail: `${client.name} received ${describeReceived(item)}: no job of the workload` });
          continue;
        }
        if (record.rooms.includes(item.room)) continue;
        count += 1;
        mismatches.push({ feature: record.feature, kind: 'misrouted', detail: `${client.name} received ${describeReceived(item)} [${record.tag}], routed to ${record.rooms.join(',') || 'no room'}` });
      }
    }
    return { count, unattributed, revived, mismatches };
  }

  /** Reads the truth again for records that did not match yet (they may still be moving). */
  async refresh(records: Set<JobRecord>): Promise<void> {
    await this.readTruth(records);
  }
}

function compare(expected: Expected, status: JobStatus | undefined, record: JobRecord): { kind: MismatchKind } | undefined {
  const wantsFinished = [...expected.states].some((state) => FINISHED.has(state));
  if (!status) return expected.absentOk ? undefined : { kind: wantsFinished ? 'lost terminal state' : 'missing from page' };
  const tag = tagOfStatus(status);
  if (tag !== undefined && tag !== dataTagOf(record)) return { kind: 'other incarnation shown' };
  const retrying = status.state === 'failed' && status.willRetry === true;
  if (!expected.states.has(status.state) || (retrying && expected.states.has('failed') && !expected.states.has('waiting'))) {
    return { kind: wantsFinished && (!isTerminalStatus(status) || status.state === 'unknown') ? 'lost terminal state' : 'wrong state' };
  }
  // One more, said inferred: the job's record was gone when its move out of active was read, and
  // BullMQ writes the same event for a retry as for moveToDelayed or a rate limit (counted apart).
  const inferredOneMore = status.attemptInferred === true && expected.attempt !== undefined && status.attempt === expected.attempt + 1;
  if (expected.attempt !== undefined && status.attempt !== expected.attempt && !inferredOneMore) return { kind: 'attempt' };
  if ('progress' in expected && progressKey(status.progress) !== progressKey(expected.progress)) return { kind: 'progress' };
  return undefined;
}

const describe = (status: JobStatus | undefined) =>
  status ? `${status.state}${status.willRetry ? ' (will retry)' : ''} attempt ${status.attempt} progress ${progressKey(status.progress)}${status.incarnation ? ` inc ${status.incarnation}` : ''}` : 'nothing';

/** The last statuses a client's listener received for one job in one room. */
function historyOf(client: ClientRecorder, room: string, key: string): string {
  const items = client.received.filter((item) => item.room === room && `${item.queue}/${item.jobId}` === key);
  if (items.length === 0) return 'nothing live';
  const shown = items.slice(-6).map((item) => `${item.event}→${item.state}${item.tag ? '' : '(no tag)'}`);
  return `${items.length > 6 ? '… ' : ''}${shown.join(', ')}`;
}

const describeReceived = (item: Received) => `${item.event}→${item.state} in ${item.room} for ${item.queue}/${item.jobId}${item.incarnation ? ` inc ${item.incarnation}` : ''}`;
