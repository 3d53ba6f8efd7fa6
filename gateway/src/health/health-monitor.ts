/**
 * Watches what this gateway depends on and says so on every tick (HEALTH_INTERVAL_MS, default
 * 500 ms): to its own dashboards over `/control` (the message is also their heartbeat), to admins
 * in /metrics, and in the log when a component flips.
 *  - live: both Redis connections ready and a PING answered within 1 s;
 *  - database: `SELECT 1` answered within 1.5 s, and the status queue neither failing nor past half
 *    its bound (the persister refuses beyond the bound with the retryable `unavailable`);
 *  - video (when an SFU is configured): its /healthz answered within 1.5 s;
 *  - recordings (when a vault folder is configured): its file system has RECORDINGS_MIN_FREE_MB left.
 * Each gateway reports its own view: a gateway cut off from Redis says so while another does not.
 */
import { statfs } from 'node:fs/promises';
import type { DegradedReason, GatewayHealth, HealthComponent } from '@lagebild/protocol';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from '../logger.ts';
import { backgroundProbe } from './background-probe.ts';
import { createComponentStates } from './component-states.ts';

export interface HealthMonitorOptions {
  intervalMs: number;
  redis: readonly Redis[];
  pool: pg.Pool;
  persister: { queued(): number; failingSince(): number | null };
  persistQueueMax: number;
  sfuUrl: string;
  vaultDir: string;
  recordingsMinFreeBytes: number;
  log: Logger;
  /** every tick, with the current picture */
  onHealth(msg: GatewayHealth): void;
}

export interface HealthMonitor {
  current(): GatewayHealth;
  /** one observation now (tests, and the first picture before the timer runs) */
  tick(): void;
  stop(): void;
}

const REDIS_TIMEOUT_MS = 1000;
const DATABASE_TIMEOUT_MS = 1500;
const SFU_TIMEOUT_MS = 1500;

export function createHealthMonitor(opts: HealthMonitorOptions): HealthMonitor {
  const watched: HealthComponent[] = ['live', 'database'];
  if (opts.sfuUrl) watched.push('video');
  if (opts.vaultDir) watched.push('recordings');
  const states = createComponentStates(watched);
  const redisPing = backgroundProbe(() => opts.redis[0]!.ping(), REDIS_TIMEOUT_MS);
  const dbPing = backgroundProbe(() => opts.pool.query('SELECT 1'), DATABASE_TIMEOUT_MS);
  const sfuPing = backgroundProbe(async () => {
    const res = await fetch(`${opts.sfuUrl}/healthz`, { signal: AbortSignal.timeout(SFU_TIMEOUT_MS) });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`SFU /healthz answered ${res.status}`);
  }, SFU_TIMEOUT_MS);
  let disk: DegradedReason | null = null;
  let diskPending = false;

  function checkDisk() {
    if (!opts.vaultDir || diskPending) return;
    diskPending = true;
    statfs(opts.vaultDir)
      .then(
        (s) => {
          disk = s.bavail * s.bsize < opts.recordingsMinFreeBytes ? 'disk_full' : null;
        },
        () => {
          disk = 'disk_unavailable';
        },
      )
      .finally(() => {
        diskPending = false;
      });
  }

  const observe = (component: HealthComponent, reason: DegradedReason | null) => {
    if (!states.set(component, reason)) return;
    if (reason) opts.log.warn({ component, reason }, 'component degraded');
    else opts.log.info({ component }, 'component recovered');
  };

  function tick() {
    redisPing.tick();
    dbPing.tick();
    if (opts.sfuUrl) sfuPing.tick();
    checkDisk();
    const redisReady = opts.redis.every((r) => r.status === 'ready');
    observe('live', redisReady && redisPing.ok() !== false ? null : 'redis_unreachable');
    const backlog =
      opts.persister.failingSince() !== null || opts.persister.queued() > opts.persistQueueMax / 2;
    observe('database', dbPing.ok() === false ? 'database_unreachable' : backlog ? 'persist_backlog' : null);
    if (opts.sfuUrl) observe('video', sfuPing.ok() === false ? 'sfu_unreachable' : null);
    if (opts.vaultDir) observe('recordings', disk);
  }

  const current = (): GatewayHealth => ({
    type: 'health',
    serverTime: Date.now(),
    components: states.list(),
  });
  const timer = setInterval(() => {
    tick();
    opts.onHealth(current());
  }, opts.intervalMs);
  timer.unref();
  tick();
  return { current, tick, stop: () => clearInterval(timer) };
}
