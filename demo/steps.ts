/** The steps of a summary job, in order (no imports: the page uses this file too). */
export const STEPS = ['fetch', 'chunk', 'summarize', 'persist'] as const;
export type StepName = (typeof STEPS)[number];
