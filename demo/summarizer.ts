/**
 * The demo's "AI": an extractive summarizer that runs locally and deterministically. It
 * splits a text into sentences, scores each by the frequency of its content words, and
 * keeps the best ones in their original order. No network, no model download.
 */
import { createHash } from 'node:crypto';

const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers him his how i ' +
    'if in into is it its itself just me more most my no nor not now of off on once only or other our ours out over own same ' +
    'she should so some such than that the their theirs them then there these they this those through to too under until up ' +
    'very was we were what when where which while who whom why will with would you your yours one also may might must us'
  ).split(' '),
);

/** The sentences of a text, trimmed, in order. */
export function splitSentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?])\s+(?=["'(\p{Lu}\d])/u)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence.length > 0);
}

/** Groups sentences into chunks of `size`, as a model with a small context would read them. */
export function chunkSentences(sentences: readonly string[], size = 3): string[][] {
  const chunks: string[][] = [];
  for (let i = 0; i < sentences.length; i += size) chunks.push(sentences.slice(i, i + size));
  return chunks;
}

/** Lower-case content words of a sentence. */
export function contentWords(sentence: string): string[] {
  return (sentence.toLowerCase().match(/\p{L}[\p{L}'-]*/gu) ?? []).filter((word) => word.length > 2 && !STOPWORDS.has(word));
}

/** Relative frequency (0..1] of each content word over all sentences. */
export function wordFrequencies(sentences: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const sentence of sentences) for (const word of contentWords(sentence)) counts.set(word, (counts.get(word) ?? 0) + 1);
  const max = Math.max(1, ...counts.values());
  return new Map([...counts].map(([word, count]) => [word, count / max]));
}

/** A sentence's score: its words' frequencies, damped for length so long sentences do not always win. */
export function scoreSentence(sentence: string, frequencies: ReadonlyMap<string, number>): number {
  const words = contentWords(sentence);
  if (words.length === 0) return 0;
  const total = words.reduce((sum, word) => sum + (frequencies.get(word) ?? 0), 0);
  return total / Math.sqrt(words.length);
}

/** How many sentences a summary keeps: about a third, between one and three. */
export const summaryLength = (sentenceCount: number) => Math.min(3, Math.max(1, Math.round(sentenceCount / 3)));

/** The summary of a text's sentences: the best-scored ones, in their original order. */
export function summarize(sentences: readonly string[], frequencies = wordFrequencies(sentences)): string[] {
  const ranked = sentences
    .map((sentence, index) => ({ sentence, index, score: scoreSentence(sentence, frequencies) }))
    // Ties go to the earlier sentence, so the result never depends on sort stability.
    .sort((a, b) => b.score - a.score || a.index - b.index);
  return ranked
    .slice(0, summaryLength(sentences.length))
    .sort((a, b) => a.index - b.index)
    .map((entry) => entry.sentence);
}

/** The key a summary is cached under: the same text is never summarized twice. */
export const textHash = (text: string) => createHash('sha256').update(text.replace(/\s+/g, ' ').trim()).digest('hex');

/** A realistic but reproducible duration for a step on a text: 0.5–1.5 s. */
export function stepDelayMs(text: string, step: string): number {
  const digest = createHash('sha256').update(`${step}\n${text}`).digest();
  return 500 + (digest.readUInt16BE(0) % 1_001);
}
