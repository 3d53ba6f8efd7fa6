/**
 * Budget and seed of a fuzzing run. CI runs a fixed, small budget with a random seed it prints, so a
 * failure can be replayed: `FUZZ_SEED=<seed> npm run test:fuzz`. `npm run test:fuzz -- --runs N`
 * (or FUZZ_RUNS=N) runs longer; FUZZ_RUNS scales every boundary's default budget to N runs.
 */
import type { Parameters } from 'fast-check';

const envInt = (name: string): number | undefined => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return n;
};

/** One seed per test process: every boundary of a run prints the same one. */
const SEED = envInt('FUZZ_SEED') ?? (Math.random() * 2 ** 31) | 0;

/** Runs of a long run (FUZZ_RUNS), or undefined for the CI budget. */
export const longRuns = (): number | undefined => envInt('FUZZ_RUNS');

/**
 * fast-check parameters for one boundary: `ciRuns` unless FUZZ_RUNS is set; the seed is printed
 * with the boundary's name and how to replay it.
 */
export function fuzzParams<T>(boundary: string, ciRuns: number): Parameters<T> {
  const numRuns = longRuns() ?? ciRuns;
  console.log(`[fuzz] ${boundary}: ${numRuns} runs, seed ${SEED} (replay: FUZZ_SEED=${SEED})`);
  return { seed: SEED, numRuns, endOnFailure: true };
}

/** Vitest timeout for a property: generous for long runs, the CI budget otherwise. */
export function fuzzTimeoutMs(ciMs: number, perRunMs: number): number {
  const runs = longRuns();
  return runs === undefined ? ciMs : Math.max(ciMs, runs * perRunMs + 60_000);
}
