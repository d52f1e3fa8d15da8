import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MINIMUM_VERSIONS, compareVersions, installedVersions } from '../../server/security/minimumVersions.js';

describe('installed versions', () => {
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { version?: string }> };

  for (const { name, minimum, advisory } of MINIMUM_VERSIONS) {
    it(`has every copy of ${name} at ${minimum} or later (${advisory.split(':')[0]})`, () => {
      const copies = installedVersions(lock, name);
      expect(copies.length, `${name} is not in package-lock.json`).toBeGreaterThan(0);
      const tooOld = copies.filter((copy) => compareVersions(copy.version, minimum) < 0);
      expect(tooOld, `${name} below ${minimum}: ${advisory}`).toEqual([]);
    });
  }

  it('compares versions numerically, so the check above can fail', () => {
    expect(compareVersions('8.20.9', '8.21.0')).toBeLessThan(0);
    expect(compareVersions('4.10.0', '4.6.2')).toBeGreaterThan(0);
    expect(compareVersions('6.6.9', '6.6.9')).toBe(0);
    const fake = { packages: { 'node_modules/ws': { version: '8.23.0' }, 'node_modules/a/node_modules/ws': { version: '7.5.9' } } };
    expect(installedVersions(fake, 'ws').filter((copy) => compareVersions(copy.version, '8.21.0') < 0)).toEqual([
      { path: 'node_modules/a/node_modules/ws', version: '7.5.9' },
    ]);
  });
});
