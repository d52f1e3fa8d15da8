import { describe, expect, it } from 'vitest';
import { CLIENT_ENTRY, REACT_ALL_ENTRY, REACT_EXTERNAL, isClassicZod, measureBundle } from '../../scripts/size.js';

/**
 * The browser client's weight, as `npm run size` prints it: the 25 KB budget of issue 13. The
 * client checks server messages with client/wireSchemas.ts (shared/'s zod schemas compiled to
 * plain functions) and imports only shared/'s zod-free modules, so it carries no zod at all:
 * 24.4 KB gzipped when this was set (31.8 KB with zod/mini, about 8 KB of it zod).
 */
const CLIENT_GZIP_CEILING_KB = 25;

describe('jobcast/client bundle', () => {
  it('bundles createJobcastClient for the browser without server packages or zod, under its gzip ceiling', async () => {
    const size = await measureBundle('jobcast/client', CLIENT_ENTRY);
    console.log(`jobcast/client: ${(size.bytes / 1024).toFixed(1)} KB minified, ${(size.gzipBytes / 1024).toFixed(1)} KB gzipped`);
    const packages = size.packages.map(([name]) => name);
    expect(packages).toContain('socket.io-client');
    for (const serverOnly of ['bullmq', 'ioredis', 'express', 'socket.io', 'pino', 'prom-client']) expect(packages).not.toContain(serverOnly);
    // A value imported from shared/index.ts (or a zod-using module) would bring zod back.
    expect(packages).not.toContain('zod');
    expect(size.gzipBytes).toBeLessThan(CLIENT_GZIP_CEILING_KB * 1024);
  });

  it('keeps zod classic out of jobcast/react, debug panel included', async () => {
    const size = await measureBundle('jobcast/react', REACT_ALL_ENTRY, REACT_EXTERNAL);
    expect(size.inputs.some((input) => input.includes('node_modules/zod/v4/mini/'))).toBe(true);
    expect(size.inputs.filter(isClassicZod)).toEqual([]);
  });
});
