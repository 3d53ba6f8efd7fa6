/** @lagebild/stats: episode derivation, confidence intervals, privacy rules (small cells, differencing), the pilot data generator. */
export * from './confidence.ts';
export * from './disclosure-control.ts';
export * from './episodes.ts';
export * from './local-time.ts';
export * from './pilot-generator.ts';
export * from './privacy.ts';
export * from './retention.ts';
