import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import type { JobDebugDetail, JobStatus } from '../../../shared/index.js';
import type { ClientDiagnostics, JobcastClient } from '../../index.js';
import { diagnose, findJobById } from './diagnose.js';
import type { Diagnosis, Hop } from './diagnose.js';
import { fetchRoomReport } from './fetchRoomReport.js';
import type { GetDebugToken } from './fetchRoomReport.js';
import { cx } from './styles.js';

/** Props of {@link WhyCheck}. */
export interface WhyCheckProps {
  readonly client: JobcastClient;
  /** For the room and job suggestions. */
  readonly diagnostics: ClientDiagnostics;
  /** Where the jobcast router is mounted; without it the "did the server broadcast" hop stays unknown. */
  readonly debugUrl?: string;
  readonly getDebugToken?: GetDebugToken;
  /** The last result, kept by the panel so it survives tab switches and goes into the diagnostics bundle. */
  readonly result?: Diagnosis;
  readonly onResult: (diagnosis: Diagnosis) => void;
}

const MARK = { true: '✓', false: '✗', unknown: '?' } as const;
const MARK_CLASS = { true: 'ok', false: 'bad', unknown: 'warn' } as const;
const MARK_TEXT = { true: 'passed', false: 'failed', unknown: 'unknown' } as const;

/** "Why didn't my UI update?": checks a room (or one job) hop by hop and names the first hop that failed. */
export function WhyCheck({ client, diagnostics, debugUrl, getDebugToken, result, onResult }: WhyCheckProps): ReactNode {
  const id = useId();
  const [room, setRoom] = useState(result?.room ?? '');
  // An empty field checks the first held room, shown as the placeholder.
  const fallbackRoom = diagnostics.rooms[0]?.room ?? '';
  const [jobId, setJobId] = useState(result?.jobId ?? '');
  const [busy, setBusy] = useState(false);
  const [detail, setDetail] = useState<JobDebugDetail | undefined>(undefined);
  const abort = useRef<AbortController | undefined>(undefined);
  useEffect(() => () => abort.current?.abort(), []);
  const jobIds = [...new Set(Object.values(diagnostics.rooms.find((candidate) => candidate.room === (room.trim() || fallbackRoom))?.snapshot.jobs ?? {}).map((job) => job.jobId))];

  const run = async (event: FormEvent) => {
    event.preventDefault();
    const name = room.trim() || fallbackRoom;
    if (!name) return;
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setBusy(true);
    const wanted = jobId.trim();
    const server = debugUrl
      ? await fetchRoomReport({ debugUrl, room: name, ...(wanted ? { job: { jobId: wanted } } : {}), getDebugToken, signal: controller.signal })
      : undefined;
    setDetail(server?.ok ? server.report.job : undefined);
    if (controller.signal.aborted) return;
    setBusy(false);
    // Inspect after the server answered, so both sides describe about the same moment.
    const trimmedJob = jobId.trim();
    onResult(diagnose({ room: name, ...(trimmedJob ? { jobId: trimmedJob } : {}), client: client.inspect(), ...(server ? { server } : {}), now: Date.now() }));
  };

  const failed = result?.hops.find((hop) => hop.id === result.firstFailure);
  const checkedJob = result?.jobId === undefined ? undefined : findJobById(diagnostics.rooms.find((candidate) => candidate.room === result.room)?.snapshot.jobs ?? {}, result.jobId);
  return (
    <section aria-labelledby="jcdp-h-why">
      <h3 id="jcdp-h-why">Why didn&apos;t my UI update?</h3>
      <form className={cx('form')} onSubmit={run} aria-label="Check a room">
        <label htmlFor={`${id}-room`}>
          Room
          <input id={`${id}-room`} className={cx('input')} list={`${id}-rooms`} value={room} placeholder={fallbackRoom || 'type:id'} onChange={(event) => setRoom(event.target.value)} />
        </label>
        <datalist id={`${id}-rooms`}>
          {diagnostics.rooms.map((candidate) => (
            <option key={candidate.room} value={candidate.room} />
          ))}
        </datalist>
        <label htmlFor={`${id}-job`}>
          Job id (optional)
          <input id={`${id}-job`} className={cx('input')} list={`${id}-jobs`} value={jobId} onChange={(event) => setJobId(event.target.value)} />
        </label>
        <datalist id={`${id}-jobs`}>
          {jobIds.map((candidate) => (
            <option key={candidate} value={candidate} />
          ))}
        </datalist>
        <button type="submit" className={cx('button')} disabled={busy}>
          {busy ? 'Checking…' : 'Run check'}
        </button>
      </form>
      {!debugUrl && <p className={cx('muted')}>No debugUrl: the panel cannot ask the server what it broadcast.</p>}
      <div role="status" aria-live="polite">
        {result && (
          <p>
            {failed ? (
              <>
                First failed hop for {result.room}
                {result.jobId ? ` (job ${result.jobId})` : ''}: <strong className={cx('bad')}>{failed.label}</strong> {failed.detail}
              </>
            ) : (
              <span className={cx('ok')}>No hop failed for {result.room}{result.jobId ? ` (job ${result.jobId})` : ''}.</span>
            )}
          </p>
        )}
      </div>
      {result && detail && <FailureDetail detail={detail} onPage={checkedJob} />}
      {result && (
        <ol className={cx('hops')} aria-label="Hops">
          {result.hops.map((hop) => (
            <HopRow key={hop.id} hop={hop} first={hop.id === result.firstFailure} />
          ))}
        </ol>
      )}
    </section>
  );
}

function HopRow({ hop, first }: { hop: Hop; first: boolean }): ReactNode {
  const key = String(hop.ok) as keyof typeof MARK;
  return (
    <li data-hop={hop.id} data-ok={String(hop.ok)} data-first={first ? 'true' : undefined}>
      <span className={cx(MARK_CLASS[key])} aria-hidden="true">
        {MARK[key]}
      </span>
      <span>
        <strong>{hop.label}</strong> <span className={cx('sr')}>{MARK_TEXT[key]}</span>
        {first && <span className={cx('bad')}> (first failure)</span>}
        <br />
        <span className={cx('muted')}>{hop.detail}</span>
      </span>
    </li>
  );
}

/**
 * BullMQ's record of the job, with the failure text: the server sends it to debug users only.
 * When the record is gone (removed on failure or completion, cleaned), so is that text: the
 * panel says so and shows the failure that reached the page instead.
 */
function FailureDetail({ detail, onPage }: { detail: JobDebugDetail; onPage: JobStatus | undefined }): ReactNode {
  const gone = detail.state === 'unknown';
  const failure = onPage?.failure;
  return (
    <details className={cx('failure-detail')} data-testid="failure-detail" open={detail.failedReason !== undefined || gone}>
      <summary>
        {gone ? `BullMQ has no record of job ${detail.queue}/${detail.jobId}` : `BullMQ says: job ${detail.queue}/${detail.jobId} is ${detail.state}`}
        {detail.attemptsMade !== undefined ? `, ${detail.attemptsMade} attempt(s) made` : ''}
      </summary>
      {gone && (
        <p data-testid="record-gone">
          {onPage?.state === 'failed'
            ? 'Its record was removed after it failed (removeOnFail, or a clean): the failure text and stack went with it.'
            : 'Its record was removed (removeOnComplete or removeOnFail, a clean, or Redis lost its data): BullMQ cannot say more about it.'}
          {failure && (
            <>
              {' '}
              The failure that reached this page: <code>{`${failure.code}: ${failure.message}`}</code>
              {failure.step ? ` at step ${failure.step}` : ''}
              {failure.lastCompletedStep ? ` (last completed step: ${failure.lastCompletedStep})` : ''}.
            </>
          )}
        </p>
      )}
      {detail.failedReason !== undefined && (
        <p>
          Failure text (debug access): <code>{detail.failedReason}</code>
        </p>
      )}
      {detail.stacktrace !== undefined && <pre className={cx('stack')}>{detail.stacktrace}</pre>}
    </details>
  );
}
