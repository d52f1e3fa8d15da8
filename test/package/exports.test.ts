import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, { types: string; import: string }> };

describe('package', () => {
  it('builds JS and .d.ts for every subpath export, and each imports by its public name', async () => {
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { timeout: 240_000 });
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      expect(existsSync(target.import), `${subpath} → ${target.import}`).toBe(true);
      expect(existsSync(target.types), `${subpath} → ${target.types}`).toBe(true);
    }
    // Self-reference through "exports", as a user's code would import it.
    const { stdout } = await run('node', [
      '--input-type=module',
      '-e',
      `const s = await import('jobcast/server'); const c = await import('jobcast/client'); const p = await import('jobcast/shared');
       console.log(JSON.stringify([typeof s.createJobcastServer, typeof c.createJobcastClient, p.PROTOCOL_VERSION, typeof (await import('jobcast/worker')).step, typeof (await import('jobcast/react')).useJobStatus]));`,
    ]);
    expect(JSON.parse(stdout)).toEqual(['function', 'function', 1, 'function', 'function']);
  });
});
