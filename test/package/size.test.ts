import { describe, expect, it } from 'vitest';
import { CLIENT_ENTRY, measureBundle } from '../../scripts/size.js';

/**
 * The browser client's weight, as `npm run size` prints it. The ceiling is today's size with
 * the protocol on full zod; it drops to the 25 KB once shared/ uses `zod/mini`.
 */
const CLIENT_GZIP_CEILING_KB = 120;

describe('jobcast/client bundle', () => {
  it('bundles createJobcastClient for the browser without server packages, under its gzip ceiling', async () => {
    const size = await measureBundle('jobcast/client', CLIENT_ENTRY);
    console.log(`jobcast/client: ${(size.bytes / 1024).toFixed(1)} KB minified, ${(size.gzipBytes / 1024).toFixed(1)} KB gzipped`);
    const packages = size.packages.map(([name]) => name);
    expect(packages).toContain('socket.io-client');
    for (const serverOnly of ['bullmq', 'ioredis', 'express', 'socket.io', 'pino', 'prom-client']) expect(packages).not.toContain(serverOnly);
    expect(size.gzipBytes).toBeLessThan(CLIENT_GZIP_CEILING_KB * 1024);
  });
});
