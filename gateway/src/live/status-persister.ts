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
 * see status-queue.ts. Which events are late or stage changes is decided by `classifyBatch`, a pure
 * function; this file does the SQL and the retry loop around it.
 */

import { withTransaction } from '@lagebild/db';
import type { DeviceStatus } from '@lagebild/protocol';
import type pg from 'pg';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { eventKey, TenantQueues } from './status-queue.ts';
import { isStageChange, type StageSnapshot } from './transition.ts';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

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

export interface StatusPersister {
  enqueue(rec: StatusRecord): Promise<PersistOutcome>;
  /** forget what we know of a device's last persisted event (it may have written elsewhere since) */
  forgetDevice(deviceId: string): void;
  queued(): number;
  /** when the first of the commits failing right now failed; null while commits succeed */
  failingSince(): number | null;
  /** waits for everything queued to be committed (or gives up after timeoutMs) */
  drain(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A batch sorted by device and seq, checked against each device's last persisted event. */
export interface ClassifiedBatch {
  sorted: StatusRecord[];
  /** per `sorted` entry: at or below the device's last persisted seq (stored, never current) */
  lateFlags: boolean[];
  /** the stage changes among them, each with the state it changed from */
  changes: PersistedChange[];
  /** each device's last persisted state once the batch commits */
  lastAfter: Map<string, StageSnapshot | null>;
}

/**
 * Which events of a batch are late and which are stage changes, derived against the last
 * *persisted* event of each device (not the live view), so a crash between fan-out and commit
 * cannot lose or invent a change.
 */
export function classifyBatch(
  recs: readonly StatusRecord[],
  lastPersisted: ReadonlyMap<string, StageSnapshot | null>,
): ClassifiedBatch {
  const sorted = [...recs].sort((a, b) =>
    a.deviceId === b.deviceId ? a.status.seq - b.status.seq : a.deviceId < b.deviceId ? -1 : 1,
  );
  const lastAfter = new Map(lastPersisted);
  const lateFlags: boolean[] = [];
  const changes: PersistedChange[] = [];
  for (const r of sorted) {
    const prev = lastAfter.get(r.deviceId) ?? null;
    const late = prev !== null && r.status.seq <= prev.seq;
    lateFlags.push(late);
    if (late) continue;
    if (isStageChange(prev, r.status)) changes.push({ rec: r, from: prev });
    lastAfter.set(r.deviceId, { seq: r.status.seq, stage: r.status.stage, emergency: r.status.emergency });
  }
  return { sorted, lateFlags, changes, lastAfter };
}

/** Inserts the events (a resent one is skipped) and returns the keys of those inserted now. */
async function insertStatusEvents(db: Queryable, b: ClassifiedBatch): Promise<Set<string>> {
  const { sorted, lateFlags } = b;
  const s = sorted.map((r) => r.status);
  const res = await db.query<{ device_id: string; seq: string }>(
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
  return new Set(res.rows.map((r) => `${r.device_id}:${r.seq}`));
}

async function insertStageChanges(db: Queryable, changes: PersistedChange[]): Promise<void> {
  await db.query(
    `INSERT INTO stage_changes (tenant_id, device_id, unit_id, seq, from_stage, to_stage, emergency,
     announced, unannounced_reason, device_time, received_at)
   SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::"Stage"[], $6::"Stage"[],
     $7::bool[], $8::bool[], $9::text[], $10::timestamptz[], $11::timestamptz[])
   ON CONFLICT (device_id, seq) DO NOTHING`,
    [
      changes.map(({ rec }) => rec.tenantId),
      changes.map(({ rec }) => rec.deviceId),
      changes.map(({ rec }) => rec.unitId),
      changes.map(({ rec }) => rec.status.seq),
      changes.map(({ from }) => from?.stage ?? null),
      changes.map(({ rec }) => rec.status.stage),
      changes.map(({ rec }) => rec.status.emergency),
      changes.map(({ rec }) => rec.status.announced),
      changes.map(({ rec }) => rec.status.unannouncedReason),
      changes.map(({ rec }) => new Date(rec.status.at)),
      changes.map(({ rec }) => new Date(rec.receivedAt)),
    ],
  );
}

/** Each device's last persisted state, read once per device and connection. */
async function readLastPersisted(
  pool: pg.Pool,
  deviceIds: string[],
): Promise<Map<string, StageSnapshot | null>> {
  const { rows } = await pool.query<{
    device_id: string;
    seq: string;
    stage: StageSnapshot['stage'];
    emergency: boolean;
  }>(
    `SELECT DISTINCT ON (device_id) device_id, seq, stage, emergency FROM status_events
      WHERE device_id = ANY($1::uuid[]) ORDER BY device_id, seq DESC`,
    [deviceIds],
  );
  const out = new Map<string, StageSnapshot | null>(deviceIds.map((d) => [d, null]));
  for (const r of rows) out.set(r.device_id, { seq: Number(r.seq), stage: r.stage, emergency: r.emergency });
  return out;
}

/** What each waiting device is told: already stored before (duplicate), and whether it was late. */
export function outcomesOf(b: ClassifiedBatch, inserted: ReadonlySet<string>): Map<string, PersistOutcome> {
  const out = new Map<string, PersistOutcome>();
  b.sorted.forEach((r, i) => {
    out.set(eventKey(r), { duplicate: !inserted.has(eventKey(r)), late: b.lateFlags[i]! });
  });
  return out;
}

export interface StatusPersisterOptions {
  pool: pg.Pool;
  log: Logger;
  metrics: Metrics;
  batchMax: number;
  queueMax: number;
  /** how long a commit waits for more events once the first one is queued */
  lingerMs: number;
  hooks?: StageChangeHooks;
}

export function createStatusPersister(opts: StatusPersisterOptions): StatusPersister {
  const { pool, log, metrics } = opts;
  const queue = new TenantQueues(opts.queueMax);
  const lastPersisted = new Map<string, StageSnapshot | null>();
  let running = false;
  let closed = false;
  let backoffMs = 0;
  let failingSince: number | null = null;
  const idleWaiters: Array<() => void> = [];

  function kick() {
    if (running || closed || queue.size === 0) return;
    running = true;
    // Linger a moment so one commit carries the events of many devices: fewer round trips to
    // PostgreSQL for a few milliseconds more until the ack (the fan-out does not wait for it).
    if (opts.lingerMs > 0 && queue.size < opts.batchMax) setTimeout(loop, opts.lingerMs);
    else setImmediate(loop);
  }

  async function loop() {
    while (queue.size > 0 && !closed) {
      const batch = queue.nextBatch(opts.batchMax);
      try {
        const outcomes = await writeBatch(batch.map((p) => p.rec));
        backoffMs = 0;
        failingSince = null;
        for (const p of batch) {
          queue.settle(p);
          const o = outcomes.get(eventKey(p.rec))!;
          for (const w of p.waiters) w.resolve(o);
        }
      } catch (err) {
        metrics.persistErrors++;
        failingSince ??= Date.now();
        // A lookup may have been half-done; re-read from the database on the next attempt.
        for (const p of batch) lastPersisted.delete(p.rec.deviceId);
        backoffMs = Math.min(2000, backoffMs ? backoffMs * 2 : 50);
        log.error({ err, rows: batch.length, retryInMs: backoffMs }, 'status batch not persisted, retrying');
        await new Promise((r) => setTimeout(r, backoffMs));
      }
    }
    running = false;
    if (queue.size === 0) for (const w of idleWaiters.splice(0)) w();
  }

  async function loadLastPersisted(recs: StatusRecord[]): Promise<void> {
    const unknown = [...new Set(recs.map((r) => r.deviceId))].filter((d) => !lastPersisted.has(d));
    if (unknown.length === 0) return;
    for (const [d, snap] of await readLastPersisted(pool, unknown)) lastPersisted.set(d, snap);
  }

  /** One commit: the events, and with any stage change its row and the hooks' work, atomically. */
  async function writeBatch(recs: StatusRecord[]): Promise<Map<string, PersistOutcome>> {
    await loadLastPersisted(recs);
    const b = classifyBatch(recs, lastPersisted);
    let inserted: Set<string>;
    let effects: unknown[] = [];
    // The common batch has no stage change: one autocommit statement, no BEGIN/COMMIT round trips.
    if (b.changes.length === 0) inserted = await insertStatusEvents(pool, b);
    else
      ({ inserted, effects } = await withTransaction(pool, async (client) => {
        const inserted = await insertStatusEvents(client, b);
        // a resent change was committed (with its incident) the first time
        const fresh = b.changes.filter(({ rec }) => inserted.has(eventKey(rec)));
        if (fresh.length === 0) return { inserted, effects: [] as unknown[] };
        await insertStageChanges(client, fresh);
        const effects = opts.hooks ? await opts.hooks.inTransaction(client, fresh) : [];
        return { inserted, effects };
      }));
    for (const [d, snap] of b.lastAfter) lastPersisted.set(d, snap);
    if (effects.length > 0) opts.hooks?.afterCommit(effects);
    metrics.persistBatches++;
    metrics.persistRows += inserted.size;
    return outcomesOf(b, inserted);
  }

  return {
    enqueue(rec) {
      if (closed) return Promise.reject(new AppError('unavailable', 'gateway is shutting down'));
      const p = queue.admit(rec);
      if (!p)
        return Promise.reject(
          new AppError('unavailable', 'storage is behind; keep the event and resend later'),
        );
      const done = new Promise<PersistOutcome>((resolve, reject) => p.waiters.push({ resolve, reject }));
      kick();
      return done;
    },
    forgetDevice(deviceId) {
      lastPersisted.delete(deviceId);
    },
    queued: () => queue.size,
    failingSince: () => failingSince,
    drain(timeoutMs = 10_000) {
      if (queue.size === 0 && !running) return Promise.resolve();
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
      for (const p of queue.clear()) for (const w of p.waiters) w.reject(err);
    },
  };
}
