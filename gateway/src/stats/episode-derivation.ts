/**
 * Re-deriving devices' episodes, in one transaction on the devices' advisory locks: find each
 * restart point, read the observations that can change the outcome, replace the episodes from there
 * on (positions only as grid cells, local day/week/weekday/hour in the tenant's zone), attach the
 * reports, move the settled cursors, and clear the dirty marks unless they changed meanwhile. The
 * statements are the same for one device or a hundred: each carries every device as arrays.
 */
import { withTransaction } from '@lagebild/db';
import {
  type DerivedEpisode,
  deriveEpisodes,
  displayFirst,
  gridCell,
  restartSeq,
  type StageObservation,
} from '@lagebild/stats';
import type pg from 'pg';
import { execute, localTime, queryRows, sql } from './queries/sql.ts';

/** Advisory-lock namespace of the episode builders (the second key is the device id's hash). */
const LOCK_NAMESPACE = 727_274_008;

/** A device to derive: from `fromSeq` on; `version` of its dirty mark (null: closed by time only). */
export interface DeviceJob {
  deviceId: string;
  tenantId: string;
  fromSeq: number;
  version: string | null;
}

/** Devices with events not yet derived, oldest mark first. */
export async function dirtyDevices(pool: pg.Pool, batch: number): Promise<DeviceJob[]> {
  const rows = await queryRows<{ device_id: string; tenant_id: string; from_seq: string; version: string }>(
    pool,
    sql`SELECT device_id, tenant_id, from_seq, version FROM episode_dirty ORDER BY marked_at LIMIT ${batch}`,
  );
  return rows.map((d) => ({
    deviceId: d.device_id,
    tenantId: d.tenant_id,
    fromSeq: Number(d.from_seq),
    version: d.version,
  }));
}

/**
 * Devices with an episode that the passing of time closes: back in standby for the quiet time by
 * `now` (`quietSince` = now − quiet time: a device that fell silent), or by the device's own newest
 * event (its clock may run ahead of ours). Events that change nothing do not mark a device
 * (migration 0020), so the newest event, which the derivation's observations end with and which
 * closes an episode by the device's clock, is looked at here. Derived again from just after its start.
 */
export async function quietDevices(
  pool: pg.Pool,
  quietSince: Date,
  quietMs: number,
  batch: number,
): Promise<DeviceJob[]> {
  const rows = await queryRows<{ device_id: string; tenant_id: string; start_seq: string }>(
    pool,
    sql`SELECT device_id, min(tenant_id::text)::uuid AS tenant_id, min(start_seq) AS start_seq FROM episodes e
         WHERE NOT closed AND ended_at IS NOT NULL
           AND (ended_at <= ${quietSince}
                OR ended_at <= (SELECT s.device_time FROM status_events s WHERE s.device_id = e.device_id
                                 ORDER BY s.seq DESC LIMIT 1) - ${quietMs} * interval '1 millisecond')
         GROUP BY device_id LIMIT ${batch}`,
  );
  return rows.map((d) => ({
    deviceId: d.device_id,
    tenantId: d.tenant_id,
    fromSeq: Number(d.start_seq) + 1,
    version: null,
  }));
}

/** Takes each device's advisory lock for this transaction; the devices another builder holds are left out. */
async function tryDeviceLocks(client: pg.PoolClient, jobs: readonly DeviceJob[]): Promise<DeviceJob[]> {
  const rows = await queryRows<{ ok: boolean }>(
    client,
    sql`SELECT pg_try_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(d)) AS ok
          FROM unnest(${jobs.map((j) => j.deviceId)}::text[]) WITH ORDINALITY AS t(d, ord) ORDER BY ord`,
  );
  return jobs.filter((_, i) => rows[i]?.ok === true);
}

/** Per device: where to re-derive from for its events from `fromSeq` on, and the cursor settled so far. */
async function restartPoints(
  client: pg.PoolClient,
  jobs: readonly DeviceJob[],
): Promise<Map<string, { restart: number | null; oldSettled: number | null }>> {
  const rows = await queryRows<{ device_id: string; start_seq: string | null; settled_seq: string | null }>(
    client,
    sql`SELECT j.device_id,
               (SELECT max(start_seq) FROM episodes e WHERE e.device_id = j.device_id AND e.start_seq < j.from_seq) AS start_seq,
               (SELECT settled_seq FROM episode_cursors c WHERE c.device_id = j.device_id) AS settled_seq
          FROM unnest(${jobs.map((j) => j.deviceId)}::uuid[], ${jobs.map((j) => j.fromSeq)}::bigint[])
               AS j(device_id, from_seq)`,
  );
  const fromSeq = new Map(jobs.map((j) => [j.deviceId, j.fromSeq]));
  return new Map(
    rows.map((p) => {
      const oldSettled = p.settled_seq === null ? null : Number(p.settled_seq);
      const starts = p.start_seq === null ? [] : [Number(p.start_seq)];
      return [
        p.device_id,
        { restart: restartSeq(fromSeq.get(p.device_id)!, starts, oldSettled), oldSettled },
      ];
    }),
  );
}

/**
 * Per device, only what can change the outcome from its `from` seq on: stage or emergency changes,
 * and the newest observation.
 */
async function observations(
  client: pg.PoolClient,
  from: ReadonlyMap<string, number>,
): Promise<Map<string, StageObservation[]>> {
  const rows = await queryRows<{
    device_id: string;
    seq: string;
    device_time: Date;
    stage: StageObservation['stage'];
    announced: boolean | null;
    emergency: boolean;
    lat: number | null;
    lng: number | null;
  }>(
    client,
    sql`SELECT device_id, seq, device_time, stage, announced, emergency, lat, lng FROM (
          SELECT s.device_id, s.seq, s.device_time, s.stage, s.announced, s.emergency, s.lat, s.lng,
                 lag(s.stage) OVER w AS prev_stage, lag(s.emergency) OVER w AS prev_emergency,
                 lead(s.seq) OVER w AS next_seq
            FROM unnest(${[...from.keys()]}::uuid[], ${[...from.values()]}::bigint[]) AS j(device_id, from_seq)
            JOIN status_events s ON s.device_id = j.device_id AND s.seq >= j.from_seq
          WINDOW w AS (PARTITION BY s.device_id ORDER BY s.seq)) x
         WHERE prev_stage IS DISTINCT FROM stage OR prev_emergency IS DISTINCT FROM emergency OR next_seq IS NULL
         ORDER BY device_id, seq`,
  );
  const out = new Map<string, StageObservation[]>([...from.keys()].map((d) => [d, []]));
  for (const r of rows)
    out.get(r.device_id)?.push({
      seq: Number(r.seq),
      at: r.device_time.getTime(),
      stage: r.stage,
      announced: r.announced,
      emergency: r.emergency,
      lat: r.lat,
      lng: r.lng,
    });
  return out;
}

/** The episodes as one array per column, positions coarsened to their grid cell. */
export function episodeColumns(eps: readonly DerivedEpisode[]) {
  const ts = (ms: number | null) => (ms === null ? null : new Date(ms));
  const cells = eps.map((e) => gridCell(e.lat, e.lng));
  return {
    startSeq: eps.map((e) => e.startSeq),
    startedAt: eps.map((e) => ts(e.startedAt)),
    endedAt: eps.map((e) => ts(e.endedAt)),
    closed: eps.map((e) => e.closed),
    maxStage: eps.map((e) => e.maxStage),
    displayAt: eps.map((e) => ts(e.displayAt)),
    recordingAt: eps.map((e) => ts(e.recordingAt)),
    displayFirst: eps.map((e) => displayFirst(e)),
    announced: eps.map((e) => e.announced),
    emergency: eps.map((e) => e.emergency),
    cellRow: cells.map((c) => c?.row ?? null),
    cellCol: cells.map((c) => c?.col ?? null),
  };
}

/** The episodes derived for one device. */
interface DeviceEpisodes {
  job: DeviceJob;
  episodes: readonly DerivedEpisode[];
}

/**
 * Inserts derived episodes with the unit and team on shift at each start: an episode that runs
 * across a shift change belongs to the shift it began in; one begun off shift has no unit.
 */
async function insertEpisodes(client: pg.PoolClient, derived: readonly DeviceEpisodes[]): Promise<void> {
  const eps = derived.flatMap((d) => d.episodes);
  if (eps.length === 0) return;
  const tenants = derived.flatMap((d) => d.episodes.map(() => d.job.tenantId));
  const devices = derived.flatMap((d) => d.episodes.map(() => d.job.deviceId));
  const c = episodeColumns(eps);
  const start = localTime('x.started_at');
  await execute(
    client,
    sql`INSERT INTO episodes (tenant_id, device_id, unit_id, team, start_seq, started_at, ended_at, closed,
          max_stage, display_at, recording_at, display_first, announced, emergency, cell_row, cell_col,
          local_day, local_week, local_weekday, local_hour)
        SELECT x.tenant_id, x.device_id, sh.unit_id, sh.team, x.start_seq, x.started_at, x.ended_at, x.closed,
               x.max_stage, x.display_at, x.recording_at, x.display_first, x.announced, x.emergency, x.cell_row,
               x.cell_col, ${start}::date, date_trunc('week', ${start})::date,
               extract(isodow FROM ${start})::smallint, extract(hour FROM ${start})::smallint
          FROM unnest(${tenants}::uuid[], ${devices}::uuid[], ${c.startSeq}::bigint[], ${c.startedAt}::timestamptz[],
                      ${c.endedAt}::timestamptz[], ${c.closed}::bool[], ${c.maxStage}::"Stage"[],
                      ${c.displayAt}::timestamptz[], ${c.recordingAt}::timestamptz[], ${c.displayFirst}::bool[],
                      ${c.announced}::bool[], ${c.emergency}::bool[], ${c.cellRow}::int[], ${c.cellCol}::int[])
               AS x(tenant_id, device_id, start_seq, started_at, ended_at, closed, max_stage, display_at,
                    recording_at, display_first, announced, emergency, cell_row, cell_col)
          LEFT JOIN LATERAL (
            SELECT unit_id, team FROM shifts s
             WHERE s.device_id = x.device_id AND s.started_at <= x.started_at
               AND (s.ended_at IS NULL OR s.ended_at > x.started_at)
             ORDER BY s.started_at DESC LIMIT 1) sh ON true`,
  );
}

/**
 * The settled cursor after a derivation: the derivation's own, else the old one while it still lies
 * before the restart point (nothing after it was settled again), else none.
 */
export function nextSettled(
  derivedSettled: number | null,
  oldSettled: number | null,
  restart: number | null,
): number | null {
  return (
    derivedSettled ?? (oldSettled !== null && restart !== null && oldSettled < restart ? oldSettled : null)
  );
}

/**
 * Copies the newest report inside each episode of a device (from `fromSeq` on) onto the episode.
 * A report belongs to the episode whose [start, end] contains its `episode_at`.
 */
export async function attachReports(
  db: pg.PoolClient | pg.Pool,
  deviceId: string,
  fromSeq: number,
): Promise<void> {
  await attachReportsOf(db, new Map([[deviceId, fromSeq]]));
}

/** `attachReports` for several devices in one statement: each device's episodes from its seq on. */
async function attachReportsOf(
  db: pg.PoolClient | pg.Pool,
  from: ReadonlyMap<string, number>,
): Promise<void> {
  if (from.size === 0) return;
  await execute(
    db,
    sql`UPDATE episodes e SET report_id = r.id, assault = r.assault, context = r.context
          FROM unnest(${[...from.keys()]}::uuid[], ${[...from.values()]}::bigint[]) AS j(device_id, from_seq)
          JOIN episodes e2 ON e2.device_id = j.device_id AND e2.start_seq >= j.from_seq
          LEFT JOIN LATERAL (
            SELECT id, assault, context FROM episode_reports er
             WHERE er.device_id = e2.device_id AND er.episode_at >= e2.started_at
               AND er.episode_at <= COALESCE(e2.ended_at, 'infinity'::timestamptz)
             ORDER BY er.created_at DESC, er.id LIMIT 1) r ON true
         WHERE e.id = e2.id`,
  );
}

/**
 * Re-derives devices, each from the restart point for its job, in one transaction and a fixed
 * number of statements however many devices there are (issue 17: one transaction of ten statements
 * per device made the builder a large part of the gateway's and PostgreSQL's work at thousands of
 * stage changes a minute). `now` is the horizon by which quiet episodes close. Returns the devices
 * derived: those another builder holds are left out (nothing written for them).
 */
export async function deriveDevices(
  pool: pg.Pool,
  jobs: readonly DeviceJob[],
  opts: { quietMs: number; now: () => number },
): Promise<number> {
  if (jobs.length === 0) return 0;
  return withTransaction(pool, async (client) => {
    const mine = await tryDeviceLocks(client, jobs);
    if (mine.length === 0) return 0;
    const points = await restartPoints(client, mine);
    const from = new Map(mine.map((j) => [j.deviceId, points.get(j.deviceId)?.restart ?? 0]));
    const observed = await observations(client, from);
    const horizonAt = opts.now();
    const derived = mine.map((job) => ({
      job,
      ...deriveEpisodes(observed.get(job.deviceId) ?? [], { quietMs: opts.quietMs, horizonAt }),
    }));
    await execute(
      client,
      sql`DELETE FROM episodes e
           USING unnest(${[...from.keys()]}::uuid[], ${[...from.values()]}::bigint[]) AS j(device_id, from_seq)
           WHERE e.device_id = j.device_id AND e.start_seq >= j.from_seq`,
    );
    await insertEpisodes(client, derived);
    const withEpisodes = derived.filter((d) => d.episodes.length > 0).map((d) => d.job.deviceId);
    await attachReportsOf(client, new Map(withEpisodes.map((d) => [d, from.get(d)!])));
    const settled = derived.map((d) => {
      const p = points.get(d.job.deviceId);
      return nextSettled(d.settledSeq, p?.oldSettled ?? null, p?.restart ?? null);
    });
    await execute(
      client,
      sql`INSERT INTO episode_cursors (device_id, settled_seq)
          SELECT * FROM unnest(${mine.map((j) => j.deviceId)}::uuid[], ${settled}::bigint[])
          ON CONFLICT (device_id) DO UPDATE SET settled_seq = EXCLUDED.settled_seq`,
    );
    const marked = mine.filter((j) => j.version !== null);
    if (marked.length > 0)
      await execute(
        client,
        sql`DELETE FROM episode_dirty d
             USING unnest(${marked.map((j) => j.deviceId)}::uuid[], ${marked.map((j) => j.version)}::bigint[])
                   AS j(device_id, version)
             WHERE d.device_id = j.device_id AND d.version = j.version`,
      );
    return mine.length;
  });
}
