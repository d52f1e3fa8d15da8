import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const REACT_DIR = join(ROOT, 'client/react');

/** Every source file of jobcast/react, the debug panel's included. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : /\.tsx?$/.test(entry.name) ? [join(dir, entry.name)] : [],
  );
}

describe('jobcast/react imports of shared/', () => {
  it('takes values only from the zod-free modules, except fetchRoomReport, which validates with zod on purpose', () => {
    const barrelValueImports = sources(REACT_DIR).flatMap((file) => {
      // `import { a, type B } from '…/shared/index.js'` brings the barrel, and zod, into the bundle; `import type` does not.
      const imports = readFileSync(file, 'utf8').matchAll(/^import (?!type\b)[^;]*?from '[./]*shared\/(index|schemas|debug|errors|events|worker|heartbeat)\.js';/gms);
      return [...imports].map((match) => `${relative(ROOT, file)}: shared/${match[1]}.js`);
    });
    expect(barrelValueImports).toEqual(['client/react/debug/fetchRoomReport.ts: shared/index.js']);
  });
});
