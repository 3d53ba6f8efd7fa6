/**
 * Re-deriving one device's episodes, in one transaction on the device's advisory lock: find the
 * restart point, read the observations that can change the outcome, replace the episodes from
 * there on (positions only as grid cells, local day/week/weekday/hour in the tenant's zone), attach
 * the reports, move the settled cursor, and clear the dirty mark unless it changed meanwhile.
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
 * Devices with an episode closed only by the passing of time (back in standby since before
 * `quietSince`, no news): derived again from just after its start.
 */
export async function quietDevices(pool: pg.Pool, quietSince: Date, batch: number): Promise<DeviceJob[]> {
  const rows = await queryRows<{ device_id: string; tenant_id: string; start_seq: string }>(
    pool,
    sql`SELECT device_id, min(tenant_id::text)::uuid AS tenant_id, min(start_seq) AS start_seq FROM episodes
         WHERE NOT closed AND ended_at IS NOT NULL AND ended_at <= ${quietSince} GROUP BY device_id LIMIT ${batch}`,
  );
  return rows.map((d) => ({
    deviceId: d.device_id,
    tenantId: d.tenant_id,
    fromSeq: Number(d.start_seq) + 1,
    version: null,
  }));
}

/** Takes the device's advisory lock for this transaction; false if another builder holds it. */
async function tryDeviceLock(client: pg.PoolClient, deviceId: string): Promise<boolean> {
  const [lock] = await queryRows<{ ok: boolean }>(
    client,
    sql`SELECT pg_try_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${deviceId})) AS ok`,
  );
  return lock!.ok;
}

/** Where to re-derive from for events from `fromSeq` on, and the cursor settled so far. */
async function restartPoint(
  client: pg.PoolClient,
  deviceId: string,
  fromSeq: number,
): Promise<{ restart: number | null; oldSettled: number | null }> {
  const [p] = await queryRows<{ start_seq: string | null; settled_seq: string | null }>(
    client,
    sql`SELECT (SELECT max(start_seq) FROM episodes WHERE device_id = ${deviceId} AND start_seq < ${fromSeq}) AS start_seq,
               (SELECT settled_seq FROM episode_cursors WHERE device_id = ${deviceId}) AS settled_seq`,
  );
  const oldSettled = p!.settled_seq === null ? null : Number(p!.settled_seq);
  const restart = restartSeq(fromSeq, p!.start_seq === null ? [] : [Number(p!.start_seq)], oldSettled);
  return { restart, oldSettled };
}

/** Only what can change the outcome from `fromSeq` on: stage or emergency changes, and the newest observation. */
async function observations(
  client: pg.PoolClient,
  deviceId: string,
  fromSeq: number,
): Promise<StageObservation[]> {
  const rows = await queryRows<{
    seq: string;
    device_time: Date;
    stage: StageObservation['stage'];
    announced: boolean | null;
    emergency: boolean;
    lat: number | null;
    lng: number | null;
  }>(
    client,
    sql`SELECT seq, device_time, stage, announced, emergency, lat, lng FROM (
          SELECT seq, device_time, stage, announced, emergency, lat, lng,
                 lag(stage) OVER w AS prev_stage, lag(emergency) OVER w AS prev_emergency,
                 lead(seq) OVER w AS next_seq
            FROM status_events WHERE device_id = ${deviceId} AND seq >= ${fromSeq} WINDOW w AS (ORDER BY seq)) x
         WHERE prev_stage IS DISTINCT FROM stage OR prev_emergency IS DISTINCT FROM emergency OR next_seq IS NULL
         ORDER BY seq`,
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: r.device_time.getTime(),
    stage: r.stage,
    announced: r.announced,
    emergency: r.emergency,
    lat: r.lat,
    lng: r.lng,
  }));
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

/**
 * Inserts derived episodes with the unit and team on shift at each start: an episode that runs
 * across a shift change belongs to the shift it began in; one begun off shift has no unit.
 */
async function insertEpisodes(
  client: pg.PoolClient,
  tenantId: string,
  deviceId: string,
  eps: readonly DerivedEpisode[],
): Promise<void> {
  const c = episodeColumns(eps);
  const start = localTime('x.started_at');
  await execute(
    client,
    sql`INSERT INTO episodes (tenant_id, device_id, unit_id, team, start_seq, started_at, ended_at, closed,
          max_stage, display_at, recording_at, display_first, announced, emergency, cell_row, cell_col,
          local_day, local_week, local_weekday, local_hour)
        SELECT ${tenantId}, ${deviceId}, sh.unit_id, sh.team, x.start_seq, x.started_at, x.ended_at, x.closed, x.max_stage,
               x.display_at, x.recording_at, x.display_first, x.announced, x.emergency, x.cell_row, x.cell_col,
               ${start}::date, date_trunc('week', ${start})::date,
               extract(isodow FROM ${start})::smallint, extract(hour FROM ${start})::smallint
          FROM unnest(${c.startSeq}::bigint[], ${c.startedAt}::timestamptz[], ${c.endedAt}::timestamptz[],
                      ${c.closed}::bool[], ${c.maxStage}::"Stage"[], ${c.displayAt}::timestamptz[],
                      ${c.recordingAt}::timestamptz[], ${c.displayFirst}::bool[], ${c.announced}::bool[],
                      ${c.emergency}::bool[], ${c.cellRow}::int[], ${c.cellCol}::int[])
               AS x(start_seq, started_at, ended_at, closed, max_stage, display_at, recording_at,
                    display_first, announced, emergency, cell_row, cell_col)
          LEFT JOIN LATERAL (
            SELECT unit_id, team FROM shifts s
             WHERE s.device_id = ${deviceId} AND s.started_at <= x.started_at
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
  await execute(
    db,
    sql`UPDATE episodes e SET report_id = r.id, assault = r.assault, context = r.context
          FROM episodes e2
          LEFT JOIN LATERAL (
            SELECT id, assault, context FROM episode_reports er
             WHERE er.device_id = e2.device_id AND er.episode_at >= e2.started_at
               AND er.episode_at <= COALESCE(e2.ended_at, 'infinity'::timestamptz)
             ORDER BY er.created_at DESC, er.id LIMIT 1) r ON true
         WHERE e.id = e2.id AND e2.device_id = ${deviceId} AND e2.start_seq >= ${fromSeq}`,
  );
}

/**
 * Re-derives one device from the restart point for its job; `now` is the horizon by which quiet
 * episodes close. False if another builder holds the device (nothing written then).
 */
export async function deriveDevice(
  pool: pg.Pool,
  job: DeviceJob,
  opts: { quietMs: number; now: () => number },
): Promise<boolean> {
  const { deviceId } = job;
  return withTransaction(pool, async (client) => {
    if (!(await tryDeviceLock(client, deviceId))) return false;
    const { restart, oldSettled } = await restartPoint(client, deviceId, job.fromSeq);
    const from = restart ?? 0;
    const observed = await observations(client, deviceId, from);
    const derived = deriveEpisodes(observed, { quietMs: opts.quietMs, horizonAt: opts.now() });
    await execute(client, sql`DELETE FROM episodes WHERE device_id = ${deviceId} AND start_seq >= ${from}`);
    if (derived.episodes.length > 0) {
      await insertEpisodes(client, job.tenantId, deviceId, derived.episodes);
      await attachReports(client, deviceId, from);
    }
    await execute(
      client,
      sql`INSERT INTO episode_cursors (device_id, settled_seq)
          VALUES (${deviceId}, ${nextSettled(derived.settledSeq, oldSettled, restart)})
          ON CONFLICT (device_id) DO UPDATE SET settled_seq = EXCLUDED.settled_seq`,
    );
    if (job.version !== null) {
      await execute(
        client,
        sql`DELETE FROM episode_dirty WHERE device_id = ${deviceId} AND version = ${job.version}`,
      );
    }
    return true;
  });
}
