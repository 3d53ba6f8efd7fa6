/**
 * What fault tests read back: the gateway's Prometheus gauges, what PostgreSQL holds per device,
 * and one printed (and collected) line per measured figure, so docs/operations.md quotes numbers
 * a run produced.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '@lagebild/infra/paths';
import type pg from 'pg';

/** the scraper's token fault stacks give their gateways (METRICS_TOKEN): /metrics without a session */
export const FAULT_METRICS_TOKEN = 'fault-test-metrics-token-0123456789';
export const FAULT_GATEWAY_ENV = { METRICS_TOKEN: FAULT_METRICS_TOKEN };

/** one sample of a gateway's GET /metrics whose line starts with `prefix`; null if there is none */
export async function gauge(baseUrl: string, prefix: string): Promise<number | null> {
  const res = await fetch(`${baseUrl}/metrics`, {
    headers: { authorization: `Bearer ${FAULT_METRICS_TOKEN}` },
    signal: AbortSignal.timeout(3000),
  });
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  const line = (await res.text()).split('\n').find((l) => l.startsWith(prefix));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : null;
}

/** `lagebild_degraded{component="…"}` of one gateway: 1, 0, or null if it does not watch it */
export const degradedGauge = (baseUrl: string, component: string) =>
  gauge(baseUrl, `lagebild_degraded{component="${component}",`);

/** polls until `pred` holds; resolves with the milliseconds it took */
export async function within(
  pred: () => Promise<boolean> | boolean,
  timeoutMs: number,
  /** what is awaited; a function is asked at the timeout (e.g. to add whether a process still runs) */
  what: string | (() => string),
  everyMs = 100,
): Promise<number> {
  const start = Date.now();
  let lastError = '';
  for (;;) {
    const ok = await Promise.resolve(pred()).catch((err: Error) => {
      lastError = ` (last error: ${err.message})`;
      return false;
    });
    if (ok) return Date.now() - start;
    if (Date.now() - start > timeoutMs)
      throw new Error(
        `timed out after ${timeoutMs} ms: ${typeof what === 'function' ? what() : what}${lastError}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface StoredCounts {
  rows: number;
  distinct: number;
  min: number;
  max: number;
}

/** per device: rows stored, distinct seqs, lowest and highest seq */
export async function storedCounts(pool: pg.Pool, deviceIds: string[]): Promise<Map<string, StoredCounts>> {
  const { rows } = await pool.query<{ device_id: string; n: string; d: string; lo: string; hi: string }>(
    `SELECT device_id, count(*) AS n, count(DISTINCT seq) AS d, min(seq) AS lo, max(seq) AS hi
       FROM status_events WHERE device_id = ANY($1::uuid[]) GROUP BY device_id`,
    [deviceIds],
  );
  return new Map(
    rows.map((r) => [
      r.device_id,
      { rows: Number(r.n), distinct: Number(r.d), min: Number(r.lo), max: Number(r.hi) },
    ]),
  );
}

/** the longest pause between consecutive ack times within [from, to] */
export function longestGapMs(times: readonly number[], from: number, to: number): number {
  const inside = times.filter((t) => t >= from && t <= to).sort((a, b) => a - b);
  let gap = 0;
  let prev = from;
  for (const t of inside) {
    gap = Math.max(gap, t - prev);
    prev = t;
  }
  return Math.max(gap, to - prev);
}

/** prints one measured figure and appends it to test-results/fault-figures.jsonl */
export async function figure(fault: string, values: Record<string, number | string>): Promise<void> {
  console.log(
    `[fault] ${fault}: ${Object.entries(values)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  const dir = join(REPO_ROOT, 'test-results');
  await mkdir(dir, { recursive: true });
  await appendFile(
    join(dir, 'fault-figures.jsonl'),
    `${JSON.stringify({ fault, at: new Date().toISOString(), ...values })}\n`,
  );
}
