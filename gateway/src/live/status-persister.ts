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

import { pgArray, withTransaction } from '@lagebild/db';
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
  /** the last persisted state, once the batch commits, of each device in the batch (only those) */
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
  // only the batch's devices: the map given holds every device this gateway has seen, and copying
  // it per batch made each commit cost as much as the whole fleet (10,000 entries, many commits a second)
  const lastAfter = new Map<string, StageSnapshot | null>();
  const lateFlags: boolean[] = [];
  const changes: PersistedChange[] = [];
  for (const r of sorted) {
    // lastAfter never holds null: a device gets an entry only with a snapshot
    const prev = lastAfter.get(r.deviceId) ?? lastPersisted.get(r.deviceId) ?? null;
    const late = prev !== null && r.status.seq <= prev.seq;
    lateFlags.push(late);
    if (late) {
      if (!lastAfter.has(r.deviceId)) lastAfter.set(r.deviceId, prev);
      continue;
    }
    if (isStageChange(prev, r.status)) changes.push({ rec: r, from: prev });
    lastAfter.set(r.deviceId, { seq: r.status.seq, stage: r.status.stage, emergency: r.status.emergency });
  }
  return { sorted, lateFlags, changes, lastAfter };
}

/**
 * Inserts the events (one already stored, i.e. resent, is skipped) and returns the keys of those
 * that were already stored. Only those come back (usually none), not a row per inserted event; the
 * columns go as array literals and the times as epoch ms (pg-array.ts): at 10,000 events a second
 * node-postgres' own array and Date formatting, and a parsed row per event, were a measurable part
 * of the gateway's CPU per status (issue 17).
 */
async function insertStatusEvents(db: Queryable, b: ClassifiedBatch): Promise<Set<string>> {
  const { sorted, lateFlags } = b;
  const s = sorted.map((r) => r.status);
  const res = await db.query<{ ord: string }>(
    `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::float8[], $5::float8[],
         $6::float8[], $7::float8[], $8::real[], $9::real[], $10::real[], $11::smallint[], $12::smallint[],
         $13::text[], $14::"Stage"[], $15::bool[], $16::text[], $17::bool[], $18::bool[])
         WITH ORDINALITY AS t(tenant_id, device_id, seq, device_ms, received_ms, lat, lng, accuracy_m,
           heading_deg, speed_mps, battery_pct, signal_bars, network, stage, announced, unannounced_reason,
           emergency, late, ord)
     ), inserted AS (
       INSERT INTO status_events (tenant_id, device_id, seq, device_time, received_at, lat, lng, accuracy_m,
         heading_deg, speed_mps, battery_pct, signal_bars, network, stage, announced, unannounced_reason,
         emergency, late)
       SELECT tenant_id, device_id, seq, to_timestamp(device_ms / 1000), to_timestamp(received_ms / 1000),
         lat, lng, accuracy_m, heading_deg, speed_mps, battery_pct, signal_bars, network, stage, announced,
         unannounced_reason, emergency, late
         FROM input
       ON CONFLICT (device_id, seq) DO NOTHING
       RETURNING device_id, seq
     )
     SELECT input.ord FROM input
       WHERE NOT EXISTS (SELECT 1 FROM inserted i WHERE i.device_id = input.device_id AND i.seq = input.seq)`,
    [
      pgArray(sorted.map((r) => r.tenantId)),
      pgArray(sorted.map((r) => r.deviceId)),
      pgArray(s.map((x) => x.seq)),
      pgArray(s.map((x) => x.at)),
      pgArray(sorted.map((r) => r.receivedAt)),
      pgArray(s.map((x) => x.position?.lat ?? null)),
      pgArray(s.map((x) => x.position?.lng ?? null)),
      pgArray(s.map((x) => x.position?.accuracyM ?? null)),
      pgArray(s.map((x) => x.headingDeg)),
      pgArray(s.map((x) => x.speedMps)),
      pgArray(s.map((x) => x.batteryPct)),
      pgArray(s.map((x) => x.signalBars)),
      pgArray(s.map((x) => x.network)),
      pgArray(s.map((x) => x.stage)),
      pgArray(s.map((x) => x.announced)),
      pgArray(s.map((x) => x.unannouncedReason)),
      pgArray(s.map((x) => x.emergency)),
      pgArray(lateFlags),
    ],
  );
  // WITH ORDINALITY counts from 1
  return new Set(res.rows.map((r) => eventKey(sorted[Number(r.ord) - 1]!)));
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
export function outcomesOf(b: ClassifiedBatch, stored: ReadonlySet<string>): Map<string, PersistOutcome> {
  const out = new Map<string, PersistOutcome>();
  b.sorted.forEach((r, i) => {
    const key = eventKey(r);
    out.set(key, { duplicate: stored.has(key), late: b.lateFlags[i]! });
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
  /**
   * commits in flight at once, over as many connections: each device belongs to one lane, whose
   * commits follow each other as before, so a device's events and stage changes keep their order
   */
  lanes?: number;
  hooks?: StageChangeHooks;
}

/**
 * The persister: `lanes` independent writers, each device's events always in the same one. A writer
 * waits for each commit before the next (round trips, the WAL flush); where PostgreSQL has cores to
 * spare, more lanes commit side by side. On one 2-core machine with everything on it two lanes did
 * worse at 10,000 devices than one (smaller commits competing for the same cores; docs/benchmarks.md),
 * so the default is one.
 */
export function createStatusPersister(opts: StatusPersisterOptions): StatusPersister {
  const n = Math.max(1, opts.lanes ?? 1);
  if (n === 1) return createLane(opts);
  const lanes = Array.from({ length: n }, () =>
    createLane({ ...opts, queueMax: Math.ceil(opts.queueMax / n) }),
  );
  const laneOf = (deviceId: string) => lanes[laneIndex(deviceId, n)]!;
  return {
    enqueue: (rec) => laneOf(rec.deviceId).enqueue(rec),
    forgetDevice: (deviceId) => laneOf(deviceId).forgetDevice(deviceId),
    queued: () => lanes.reduce((sum, l) => sum + l.queued(), 0),
    failingSince: () =>
      lanes.reduce<number | null>((first, l) => {
        const t = l.failingSince();
        return t === null ? first : first === null ? t : Math.min(first, t);
      }, null),
    drain: async (timeoutMs) => {
      await Promise.all(lanes.map((l) => l.drain(timeoutMs)));
    },
    close: async () => {
      await Promise.all(lanes.map((l) => l.close()));
    },
  };
}

/** A device's lane: a hash of its id (a UUID, but any string works). */
export function laneIndex(deviceId: string, lanes: number): number {
  let h = 0;
  for (let i = 0; i < deviceId.length; i++) h = (Math.imul(h, 31) + deviceId.charCodeAt(i)) | 0;
  return (h >>> 0) % lanes;
}

function createLane(opts: StatusPersisterOptions): StatusPersister {
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
    let stored: Set<string>;
    let effects: unknown[] = [];
    // The common batch has no stage change: one autocommit statement, no BEGIN/COMMIT round trips.
    if (b.changes.length === 0) stored = await insertStatusEvents(pool, b);
    else
      ({ stored, effects } = await withTransaction(pool, async (client) => {
        const stored = await insertStatusEvents(client, b);
        // a resent change was committed (with its incident) the first time
        const fresh = b.changes.filter(({ rec }) => !stored.has(eventKey(rec)));
        if (fresh.length === 0) return { stored, effects: [] as unknown[] };
        await insertStageChanges(client, fresh);
        const effects = opts.hooks ? await opts.hooks.inTransaction(client, fresh) : [];
        return { stored, effects };
      }));
    for (const [d, snap] of b.lastAfter) lastPersisted.set(d, snap);
    if (effects.length > 0) opts.hooks?.afterCommit(effects);
    metrics.persistBatches++;
    metrics.persistRows += b.sorted.length - stored.size;
    return outcomesOf(b, stored);
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
