import { describe, expect, it } from 'vitest';
import { CLIENT_ENTRY, REACT_ALL_ENTRY, REACT_EXTERNAL, isClassicZod, measureBundle } from '../../scripts/size.js';

/**
 * The browser client's weight, as `npm run size` prints it. The protocol in shared/ is written
 * with `zod/mini`, so the client carries zod's small core only (31.8 KB gzipped when this was
 * set); the ceiling sits just above that figure so any regression shows.
 */
const CLIENT_GZIP_CEILING_KB = 33;

describe('jobcast/client bundle', () => {
  it('bundles createJobcastClient for the browser without server packages, under its gzip ceiling', async () => {
    const size = await measureBundle('jobcast/client', CLIENT_ENTRY);
    console.log(`jobcast/client: ${(size.bytes / 1024).toFixed(1)} KB minified, ${(size.gzipBytes / 1024).toFixed(1)} KB gzipped`);
    const packages = size.packages.map(([name]) => name);
    expect(packages).toContain('socket.io-client');
    for (const serverOnly of ['bullmq', 'ioredis', 'express', 'socket.io', 'pino', 'prom-client']) expect(packages).not.toContain(serverOnly);
    expect(size.inputs.filter(isClassicZod)).toEqual([]);
    expect(size.gzipBytes).toBeLessThan(CLIENT_GZIP_CEILING_KB * 1024);
  });

  it('keeps zod classic out of jobcast/react, debug panel included', async () => {
    const size = await measureBundle('jobcast/react', REACT_ALL_ENTRY, REACT_EXTERNAL);
    expect(size.inputs.some((input) => input.includes('node_modules/zod/v4/mini/'))).toBe(true);
    expect(size.inputs.filter(isClassicZod)).toEqual([]);
  });
});
