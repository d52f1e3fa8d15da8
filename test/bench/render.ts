/**
 * `tsx test/bench/render.ts`: writes BENCHMARKS.md again from bench-results.json and the
 * current test/bench/NOTES.md, without measuring anything (after editing the notes).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderMarkdown, type Results } from './report.js';

const saved = JSON.parse(readFileSync('bench-results.json', 'utf8')) as { machine: string; date: string; results: Results };
writeFileSync('BENCHMARKS.md', renderMarkdown({ ...saved.results, workers: saved.results.workers ?? {} }, saved.machine, saved.date));
console.log('wrote BENCHMARKS.md from bench-results.json');
