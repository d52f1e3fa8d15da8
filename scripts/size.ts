/**
 * `npm run size`: what `jobcast/client` costs a page. Bundles `createJobcastClient` alone (and
 * the React entry, hooks alone and with the debug panel) for the browser with esbuild, minified,
 * and prints the size, gzipped size and the heaviest packages. `--max-gzip-kb N` fails when the
 * client bundle is larger.
 */
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Metafile } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface BundleSize {
  name: string;
  bytes: number;
  gzipBytes: number;
  /** Output bytes per package (`zod`, `socket.io-client`…; `jobcast` for our own code), largest first. */
  packages: Array<[string, number]>;
  /** Every source file that put bytes in the output (`node_modules/zod/v4/mini/schemas.js`…). */
  inputs: string[];
}

/** Bundles one entry the way an app's bundler would (browser, ESM, minified, tree-shaken). */
export async function measureBundle(name: string, contents: string, external: string[] = []): Promise<BundleSize> {
  const result = await build({
    stdin: { contents, resolveDir: root, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    define: { 'process.env.NODE_ENV': '"production"' },
    external,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0]!.contents;
  const inputs = Object.values(result.metafile.outputs).flatMap((out) => Object.entries(out.inputs).filter(([, { bytesInOutput }]) => bytesInOutput > 0).map(([input]) => input));
  return { name, bytes: output.byteLength, gzipBytes: gzipSync(output, { level: 9 }).byteLength, packages: byPackage(result.metafile), inputs };
}

function byPackage(metafile: Metafile): Array<[string, number]> {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const name = match ? match[1]! : 'jobcast';
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export const CLIENT_ENTRY = `export { createJobcastClient } from './client/index.ts';`;
export const REACT_ENTRY = `export { JobcastProvider, useJobStatus, useConnection } from './client/react/index.ts';`;
/** Everything `jobcast/react` exports, the debug panel and its server hop (`fetchRoomReport`) included. */
export const REACT_ALL_ENTRY = `export * from './client/react/index.ts';`;
export const REACT_EXTERNAL = ['react', 'react-dom', 'react/jsx-runtime'];

/** True when a bundle input is zod's classic build (`import { z } from 'zod'`), which browser code must not pull. */
export const isClassicZod = (input: string): boolean => /node_modules\/zod\/(?:v4\/classic|v3|index\.js)/.test(input);

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { 'max-gzip-kb': { type: 'string' } } });
  const sizes = [
    await measureBundle('jobcast/client createJobcastClient', CLIENT_ENTRY),
    await measureBundle('jobcast/react hooks (react external)', REACT_ENTRY, REACT_EXTERNAL),
    await measureBundle('jobcast/react with the debug panel (react external)', REACT_ALL_ENTRY, REACT_EXTERNAL),
  ];
  for (const size of sizes) {
    const top = size.packages
      .slice(0, 5)
      .map(([name, bytes]) => `${name} ${kb(bytes)}`)
      .join(', ');
    console.log(`${size.name}: ${kb(size.bytes)} minified, ${kb(size.gzipBytes)} gzipped (${top})`);
  }
  const budget = values['max-gzip-kb'] === undefined ? undefined : Number(values['max-gzip-kb']);
  if (budget !== undefined && sizes[0]!.gzipBytes > budget * 1024) {
    console.error(`jobcast/client is ${kb(sizes[0]!.gzipBytes)} gzipped, over the ${budget} KB budget`);
    process.exit(1);
  }
}
