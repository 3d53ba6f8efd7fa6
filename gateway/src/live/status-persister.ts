/**
 * Group commit of status events to PostgreSQL, the system of record. Events queue while a commit is
 * in flight and go together in the next one, so under load a commit carries hundreds of rows and
 * when idle an event is written at once. A device's ack waits for its commit: an acknowledged event
 * is on disk (PostgreSQL fsyncs at commit). If PostgreSQL is down, the batch is retried with backoff;
 * the devices, having no ack, keep their events and resend them (same seq joins the pending write).
 *
 * Stage changes are derived here, against the last *persisted* event of the device (looked up once
 * per connection), so a gateway crash between fan-out and commit cannot lose or invent a change.
 *
 * The queue is shared by all tenants, so one tenant's flood must not starve the others (issue 11):
 * each tenant queues separately, may hold at most its share of `queueMax` (see `tenantShare`), and
 * batches take events from the tenants in turn, so a tenant with a few events waits one commit, not
 * behind another tenant's hundred thousand.
 */

import { withTransaction } from '@lagebild/db';
import type { DeviceStatus } from '@lagebild/protocol';
import type pg from 'pg';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { isStageChange, type StageSnapshot } from './transition.ts';

export interface StatusRecord {
  tenantId: string;
  deviceId: string;
  unitId: string | null;
  status: DeviceStatus;
  receivedAt: number;
}

/** A stage change as it was committed, with the state it changed from. */
export interface PersistedChange {
  rec: StatusRecord;
  from: StageSnapshot | null;
}

/**
 * Work that must happen exactly once per committed stage change (opening an incident): it runs in
 * the same transaction, and what it returns is handed to `afterCommit` (e.g. to notify dashboards).
 */
export interface StageChangeHooks<E = unknown> {
  inTransaction(client: pg.PoolClient, changes: PersistedChange[]): Promise<E[]>;
  afterCommit(effects: E[]): void;
}

export interface PersistOutcome {
  duplicate: boolean;
  late: boolean;
}

interface Pending {
  rec: StatusRecord;
  waiters: Array<{ resolve: (o: PersistOutcome) => void; reject: (e: Error) => void }>;
}

export interface StatusPersister {
  enqueue(rec: StatusRecord): Promise<PersistOutcome>;
  /** forget what we know of a device's last persisted event (it may have written elsewhere since) */
  forgetDevice(deviceId: string): void;
  queued(): number;
  /** waits for everything queued to be committed (or gives up after timeoutMs) */
  drain(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function createStatusPersister(opts: {
  pool: pg.Pool;
  log: Logger;
  metrics: Metrics;
  batchMax: number;
  queueMax: number;
  /** how long a commit waits for more events once the first one is queued */
  lingerMs: number;
  hooks?: StageChangeHooks;
}): StatusPersister {
  const { pool, log, metrics } = opts;
  /** per tenant, in arrival order; a tenant without queued events has no entry */
  const queues = new Map<string, Map<string, Pending>>();
  let total = 0;
  /** which tenant goes first in the next batch, so no tenant is always last */
  let turn = 0;
  const lastPersisted = new Map<string, StageSnapshot | null>();
  let running = false;
  let closed = false;
  let backoffMs = 0;
  const idleWaiters: Array<() => void> = [];

  const key = (r: StatusRecord) => `${r.deviceId}:${r.status.seq}`;

  /**
   * The most a tenant may have queued: an equal part of `queueMax` for each tenant with queued
   * events, plus one part kept free for a tenant that has none yet. Alone, a tenant gets half;
   * with two others queuing, a quarter. Shares shrink as tenants arrive; a tenant above its new
   * share is not dropped, only refused until it is back under.
   */
  function tenantShare(tenantId: string): number {
    const active = queues.size + (queues.has(tenantId) ? 0 : 1);
    return Math.max(1, Math.floor(opts.queueMax / (active + 1)));
  }

  /** Up to `batchMax` events, one from each tenant in turn (oldest first within a tenant). */
  function nextBatch(): Pending[] {
    const tenants = [...queues.values()];
    const first = turn++ % tenants.length;
    const sources = [...tenants.slice(first), ...tenants.slice(0, first)].map((q) => q.values());
    const batch: Pending[] = [];
    while (sources.length > 0 && batch.length < opts.batchMax) {
      for (let i = 0; i < sources.length && batch.length < opts.batchMax; ) {
        const next = sources[i]!.next();
        if (next.done) sources.splice(i, 1);
        else {
          batch.push(next.value);
          i++;
        }
      }
    }
    return batch;
  }

  function settle(p: Pending): void {
    const q = queues.get(p.rec.tenantId);
    if (!q?.delete(key(p.rec))) return;
    total--;
    if (q.size === 0) queues.delete(p.rec.tenantId);
  }

  function kick() {
    if (running || closed || total === 0) return;
    running = true;
    // Linger a moment so one commit carries the events of many devices: fewer round trips to
    // PostgreSQL for a few milliseconds more until the ack (the fan-out does not wait for it).
    if (opts.lingerMs > 0 && total < opts.batchMax) setTimeout(loop, opts.lingerMs);
    else setImmediate(loop);
  }

  async function loop() {
    while (total > 0 && !closed) {
      const batch = nextBatch();
      try {
        const outcomes = await writeBatch(batch.map((p) => p.rec));
        backoffMs = 0;
        for (const p of batch) {
          settle(p);
          const o = outcomes.get(key(p.rec))!;
          for (const w of p.waiters) w.resolve(o);
        }
      } catch (err) {
        metrics.persistErrors++;
        // A lookup may have been half-done; re-read from the database on the next attempt.
        for (const p of batch) lastPersisted.delete(p.rec.deviceId);
        backoffMs = Math.min(2000, backoffMs ? backoffMs * 2 : 50);
        log.error({ err, rows: batch.length, retryInMs: backoffMs }, 'status batch not persisted, retrying');
        await new Promise((r) => setTimeout(r, backoffMs));
      }
    }
    running = false;
    if (total === 0) for (const w of idleWaiters.splice(0)) w();
  }

  async function loadLastPersisted(deviceIds: string[]): Promise<void> {
    const unknown = deviceIds.filter((d) => !lastPersisted.has(d));
    if (unknown.length === 0) return;
    const { rows } = await pool.query<{
      device_id: string;
      seq: string;
      stage: StageSnapshot['stage'];
      emergency: boolean;
    }>(
      `SELECT DISTINCT ON (device_id) device_id, seq, stage, emergency FROM status_events
        WHERE device_id = ANY($1::uuid[]) ORDER BY device_id, seq DESC`,
      [unknown],
    );
    for (const d of unknown) lastPersisted.set(d, null);
    for (const r of rows)
      lastPersisted.set(r.device_id, { seq: Number(r.seq), stage: r.stage, emergency: r.emergency });
  }

  async function writeBatch(recs: StatusRecord[]): Promise<Map<string, PersistOutcome>> {
    const sorted = [...recs].sort((a, b) =>
      a.deviceId === b.deviceId ? a.status.seq - b.status.seq : a.deviceId < b.deviceId ? -1 : 1,
    );
    await loadLastPersisted([...new Set(sorted.map((r) => r.deviceId))]);
    const prevOf = new Map(lastPersisted);
    const lateFlags: boolean[] = [];
    const changes: StatusRecord[] = [];
    const changeFrom: Array<StageSnapshot | null> = [];
    for (const r of sorted) {
      const prev = prevOf.get(r.deviceId) ?? null;
      const late = prev !== null && r.status.seq <= prev.seq;
      lateFlags.push(late);
      if (late) continue;
      if (isStageChange(prev, r.status)) {
        changes.push(r);
        changeFrom.push(prev);
      }
      prevOf.set(r.deviceId, { seq: r.status.seq, stage: r.status.stage, emergency: r.status.emergency });
    }
    const s = sorted.map((r) => r.status);
    const insertEvents = (db: Pick<pg.Pool, 'query'>) =>
      db.query<{ device_id: string; seq: string }>(
        `INSERT INTO status_events (tenant_id, device_id, seq, device_time, received_at, lat, lng, accuracy_m,
         heading_deg, speed_mps, battery_pct, signal_bars, network, stage, announced, unannounced_reason,
         emergency, late)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[], $5::timestamptz[],
         $6::float8[], $7::float8[], $8::real[], $9::real[], $10::real[], $11::smallint[], $12::smallint[],
         $13::text[], $14::"Stage"[], $15::bool[], $16::text[], $17::bool[], $18::bool[])
       ON CONFLICT (device_id, seq) DO NOTHING
       RETURNING device_id, seq`,
        [
          sorted.map((r) => r.tenantId),
          sorted.map((r) => r.deviceId),
          s.map((x) => x.seq),
          s.map((x) => new Date(x.at)),
          sorted.map((r) => new Date(r.receivedAt)),
          s.map((x) => x.position?.lat ?? null),
          s.map((x) => x.position?.lng ?? null),
          s.map((x) => x.position?.accuracyM ?? null),
          s.map((x) => x.headingDeg),
          s.map((x) => x.speedMps),
          s.map((x) => x.batteryPct),
          s.map((x) => x.signalBars),
          s.map((x) => x.network),
          s.map((x) => x.stage),
          s.map((x) => x.announced),
          s.map((x) => x.unannouncedReason),
          s.map((x) => x.emergency),
          lateFlags,
        ],
      );
    // The common batch has no stage change: one autocommit statement, no BEGIN/COMMIT round trips.
    if (changes.length === 0) {
      const res = await insertEvents(pool);
      return outcomesOf(
        sorted,
        new Set(res.rows.map((r) => `${r.device_id}:${r.seq}`)),
        lateFlags,
        prevOf,
        [],
      );
    }
    const { inserted, effects } = await withTransaction(pool, async (client) => {
      const res = await insertEvents(client);
      const inserted = new Set(res.rows.map((r) => `${r.device_id}:${r.seq}`));
      let effects: unknown[] = [];
      const newChanges = changes
        .map((r, i) => ({ r, from: changeFrom[i]! }))
        .filter(({ r }) => inserted.has(key(r)));
      if (newChanges.length > 0) {
        await client.query(
          `INSERT INTO stage_changes (tenant_id, device_id, unit_id, seq, from_stage, to_stage, emergency,
           announced, unannounced_reason, device_time, received_at)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::"Stage"[], $6::"Stage"[],
           $7::bool[], $8::bool[], $9::text[], $10::timestamptz[], $11::timestamptz[])
         ON CONFLICT (device_id, seq) DO NOTHING`,
          [
            newChanges.map(({ r }) => r.tenantId),
            newChanges.map(({ r }) => r.deviceId),
            newChanges.map(({ r }) => r.unitId),
            newChanges.map(({ r }) => r.status.seq),
            newChanges.map(({ from }) => from?.stage ?? null),
            newChanges.map(({ r }) => r.status.stage),
            newChanges.map(({ r }) => r.status.emergency),
            newChanges.map(({ r }) => r.status.announced),
            newChanges.map(({ r }) => r.status.unannouncedReason),
            newChanges.map(({ r }) => new Date(r.status.at)),
            newChanges.map(({ r }) => new Date(r.receivedAt)),
          ],
        );
        if (opts.hooks)
          effects = await opts.hooks.inTransaction(
            client,
            newChanges.map(({ r, from }) => ({ rec: r, from })),
          );
      }
      return { inserted, effects };
    });
    return outcomesOf(sorted, inserted, lateFlags, prevOf, effects);
  }

  function outcomesOf(
    sorted: StatusRecord[],
    inserted: Set<string>,
    lateFlags: boolean[],
    prevOf: Map<string, StageSnapshot | null>,
    effects: unknown[],
  ): Map<string, PersistOutcome> {
    for (const [d, snap] of prevOf) lastPersisted.set(d, snap);
    if (effects.length > 0) opts.hooks?.afterCommit(effects);
    metrics.persistBatches++;
    metrics.persistRows += inserted.size;
    const out = new Map<string, PersistOutcome>();
    sorted.forEach((r, i) => {
      out.set(key(r), { duplicate: !inserted.has(key(r)), late: lateFlags[i]! });
    });
    return out;
  }

  return {
    enqueue(rec) {
      if (closed) return Promise.reject(new AppError('unavailable', 'gateway is shutting down'));
      const k = key(rec);
      let q = queues.get(rec.tenantId);
      let p = q?.get(k);
      if (!p) {
        if (total >= opts.queueMax || (q?.size ?? 0) >= tenantShare(rec.tenantId)) {
          return Promise.reject(
            new AppError('unavailable', 'storage is behind; keep the event and resend later'),
          );
        }
        if (!q) {
          q = new Map();
          queues.set(rec.tenantId, q);
        }
        p = { rec, waiters: [] };
        q.set(k, p);
        total++;
      }
      const entry = p;
      const done = new Promise<PersistOutcome>((resolve, reject) => entry.waiters.push({ resolve, reject }));
      kick();
      return done;
    },
    forgetDevice(deviceId) {
      lastPersisted.delete(deviceId);
    },
    queued: () => total,
    drain(timeoutMs = 10_000) {
      if (total === 0 && !running) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        idleWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    },
    async close() {
      await this.drain(5000);
      closed = true;
      const err = new AppError('unavailable', 'gateway is shutting down');
      for (const q of queues.values()) for (const p of q.values()) for (const w of p.waiters) w.reject(err);
      queues.clear();
      total = 0;
    },
  };
}
