import { describe, expect, it } from 'vitest';
import type { JobFacts } from '../../server/ingest/jobFacts.js';
import { bindLate } from '../../server/ingest/jobRecord.js';

const facts = (timestamp: number): JobFacts => ({ name: 'job', opts: {}, timestamp, attemptsMade: 0, progress: 0, data: undefined });
const route = (rooms: string[], extra: Record<string, number> = {}) => JSON.stringify({ rooms, ...extra });

describe('bindLate: the route of a job whose added event was not read', () => {
  it('takes the route enqueue recorded with the job\'s own timestamp, and no other', () => {
    const versions = { '5-0': route(['document:1'], { timestamp: 100, recordedAt: 100 }), '9-0': route(['document:2'], { timestamp: 200, recordedAt: 200 }) };
    expect(bindLate({ versions, facts: facts(100) })).toEqual({ route: JSON.parse(versions['5-0']), consumed: ['5-0'] });
    expect(bindLate({ versions, facts: facts(150) }).route).toBeUndefined();
  });

  it('takes the newest routeJob route recorded no later than the job was added, using up the older ones', () => {
    const versions = { '5-0': route(['document:1'], { recordedAt: 100 }), '9-0': route(['document:2'], { recordedAt: 200 }), '12-0': route(['document:3'], { recordedAt: 300 }) };
    expect(bindLate({ versions, facts: facts(250) })).toEqual({ route: JSON.parse(versions['9-0']), consumed: ['5-0', '9-0'] });
    // A job added before any route was recorded is not theirs.
    expect(bindLate({ versions, facts: facts(50) }).route).toBeUndefined();
  });

  it('binds nothing without the job\'s record', () => {
    expect(bindLate({ versions: { '5-0': route(['document:1'], { recordedAt: 1 }) }, facts: undefined }).route).toBeUndefined();
  });
});
