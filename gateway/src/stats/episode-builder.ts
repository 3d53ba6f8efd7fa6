/**
 * Keeps the `episodes` table in step with `status_events`. A trigger marks each device that got
 * events (with the lowest new seq) in `episode_dirty`, in the same transaction as the events; every
 * tick the builder re-derives those devices from a safe restart point (@lagebild/stats `restartSeq`),
 * so events that arrive an hour late or out of order give the same episodes as punctual ones.
 * Several gateways may run builders: a per-device advisory lock makes one of them do each device,
 * and a dirty mark that changed during the work stays for the next tick.
 */
import {
  DEFAULT_QUIET_MS,
  deriveEpisodes,
  displayFirst,
  GRID_LAT_DEG,
  GRID_LNG_DEG,
  restartSeq,
} from '@lagebild/stats';
import type pg from 'pg';
import type { Logger } from '../logger.ts';

export interface EpisodeBuilder {
  /** processes everything dirty now; returns the number of devices derived */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export interface EpisodeBuilderOptions {
  pool: pg.Pool;
  log: Logger;
  quietMs?: number;
  /** 0 = no timer (tests call runOnce) */
  intervalMs: number;
  batch?: number;
  now?: () => number;
}

const LOCK_NAMESPACE = 727_274_008;

export function createEpisodeBuilder(opts: EpisodeBuilderOptions): EpisodeBuilder {
  const { pool, log } = opts;
  const quietMs = opts.quietMs ?? DEFAULT_QUIET_MS;
  const now = opts.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;

  async function runOnce(): Promise<number> {
    running ??= (async () => {
      let done = 0;
      try {
        const dirty = await pool.query<{
          device_id: string;
          tenant_id: string;
          from_seq: string;
          version: string;
        }>('SELECT device_id, tenant_id, from_seq, version FROM episode_dirty ORDER BY marked_at LIMIT $1', [
          opts.batch ?? 500,
        ]);
        for (const d of dirty.rows) {
          if (stopped) break;
          if (await deriveDevice(d.device_id, d.tenant_id, Number(d.from_seq), d.version)) done++;
        }
        // episodes closed only by the passing of time: back in standby for the quiet time, no news
        const open = await pool.query<{ device_id: string; tenant_id: string; start_seq: string }>(
          `SELECT device_id, min(tenant_id::text)::uuid AS tenant_id, min(start_seq) AS start_seq FROM episodes
            WHERE NOT closed AND ended_at IS NOT NULL AND ended_at <= $1 GROUP BY device_id LIMIT $2`,
          [new Date(now() - quietMs), opts.batch ?? 500],
        );
        for (const d of open.rows) {
          if (stopped) break;
          if (await deriveDevice(d.device_id, d.tenant_id, Number(d.start_seq) + 1, null)) done++;
        }
      } finally {
        running = undefined;
      }
      return done;
    })();
    return running;
  }

  /** Re-derives one device from the restart point for `fromSeq`; false if another builder has it. */
  async function deriveDevice(
    deviceId: string,
    tenantId: string,
    fromSeq: number,
    version: string | null,
  ): Promise<boolean> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const lock = await client.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok',
        [LOCK_NAMESPACE, deviceId],
      );
      if (!lock.rows[0]!.ok) {
        await client.query('ROLLBACK');
        return false;
      }
      const prev = await client.query<{ start_seq: string | null; settled_seq: string | null }>(
        `SELECT (SELECT max(start_seq) FROM episodes WHERE device_id = $1 AND start_seq < $2) AS start_seq,
                (SELECT settled_seq FROM episode_cursors WHERE device_id = $1) AS settled_seq`,
        [deviceId, fromSeq],
      );
      const p = prev.rows[0]!;
      const oldSettled = p.settled_seq === null ? null : Number(p.settled_seq);
      const restart = restartSeq(fromSeq, p.start_seq === null ? [] : [Number(p.start_seq)], oldSettled);
      // Only what can change the outcome: stage or emergency changes, and the newest observation.
      const obs = await client.query<{
        seq: string;
        device_time: Date;
        stage: 'standby' | 'display' | 'recording';
        announced: boolean | null;
        emergency: boolean;
        lat: number | null;
        lng: number | null;
      }>(
        `SELECT seq, device_time, stage, announced, emergency, lat, lng FROM (
           SELECT seq, device_time, stage, announced, emergency, lat, lng,
                  lag(stage) OVER w AS prev_stage, lag(emergency) OVER w AS prev_emergency,
                  lead(seq) OVER w AS next_seq
             FROM status_events WHERE device_id = $1 AND seq >= $2 WINDOW w AS (ORDER BY seq)) x
          WHERE prev_stage IS DISTINCT FROM stage OR prev_emergency IS DISTINCT FROM emergency OR next_seq IS NULL
          ORDER BY seq`,
        [deviceId, restart ?? 0],
      );
      const derived = deriveEpisodes(
        obs.rows.map((r) => ({
          seq: Number(r.seq),
          at: r.device_time.getTime(),
          stage: r.stage,
          announced: r.announced,
          emergency: r.emergency,
          lat: r.lat,
          lng: r.lng,
        })),
        { quietMs, horizonAt: now() },
      );
      await client.query('DELETE FROM episodes WHERE device_id = $1 AND start_seq >= $2', [
        deviceId,
        restart ?? 0,
      ]);
      const eps = derived.episodes;
      if (eps.length > 0) {
        const ts = (ms: number | null) => (ms === null ? null : new Date(ms));
        await client.query(
          `INSERT INTO episodes (tenant_id, device_id, unit_id, team, start_seq, started_at, ended_at, closed,
             max_stage, display_at, recording_at, display_first, announced, emergency, cell_row, cell_col,
             local_day, local_week, local_weekday, local_hour)
           SELECT $1, $2, sh.unit_id, u.team, x.start_seq, x.started_at, x.ended_at, x.closed, x.max_stage,
                  x.display_at, x.recording_at, x.display_first, x.announced, x.emergency,
                  floor(x.lat / $3)::int, floor(x.lng / $4)::int,
                  (x.started_at AT TIME ZONE 'Europe/Berlin')::date,
                  date_trunc('week', x.started_at AT TIME ZONE 'Europe/Berlin')::date,
                  extract(isodow FROM x.started_at AT TIME ZONE 'Europe/Berlin')::smallint,
                  extract(hour FROM x.started_at AT TIME ZONE 'Europe/Berlin')::smallint
             FROM unnest($5::bigint[], $6::timestamptz[], $7::timestamptz[], $8::bool[], $9::"Stage"[],
                         $10::timestamptz[], $11::timestamptz[], $12::bool[], $13::bool[], $14::bool[],
                         $15::float8[], $16::float8[])
                  AS x(start_seq, started_at, ended_at, closed, max_stage, display_at, recording_at,
                       display_first, announced, emergency, lat, lng)
             LEFT JOIN LATERAL (
               SELECT unit_id FROM shifts s
                WHERE s.device_id = $2 AND s.started_at <= x.started_at
                  AND (s.ended_at IS NULL OR s.ended_at > x.started_at)
                ORDER BY s.started_at DESC LIMIT 1) sh ON true
             LEFT JOIN units u ON u.id = sh.unit_id`,
          [
            tenantId,
            deviceId,
            GRID_LAT_DEG,
            GRID_LNG_DEG,
            eps.map((e) => e.startSeq),
            eps.map((e) => ts(e.startedAt)),
            eps.map((e) => ts(e.endedAt)),
            eps.map((e) => e.closed),
            eps.map((e) => e.maxStage),
            eps.map((e) => ts(e.displayAt)),
            eps.map((e) => ts(e.recordingAt)),
            eps.map((e) => displayFirst(e)),
            eps.map((e) => e.announced),
            eps.map((e) => e.emergency),
            eps.map((e) => e.lat),
            eps.map((e) => e.lng),
          ],
        );
        await attachReports(client, deviceId, restart ?? 0);
      }
      const settled =
        derived.settledSeq ??
        (oldSettled !== null && restart !== null && oldSettled < restart ? oldSettled : null);
      await client.query(
        `INSERT INTO episode_cursors (device_id, settled_seq) VALUES ($1, $2)
         ON CONFLICT (device_id) DO UPDATE SET settled_seq = EXCLUDED.settled_seq`,
        [deviceId, settled],
      );
      if (version !== null) {
        await client.query('DELETE FROM episode_dirty WHERE device_id = $1 AND version = $2', [
          deviceId,
          version,
        ]);
      }
      await client.query('COMMIT');
      return true;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      log.error({ err, deviceId }, 'episode derivation failed');
      return false;
    } finally {
      client.release();
    }
  }

  if (opts.intervalMs > 0) {
    const tick = () => {
      timer = setTimeout(async () => {
        try {
          await runOnce();
        } catch (err) {
          log.warn({ err }, 'episode builder tick failed');
        }
        if (!stopped) tick();
      }, opts.intervalMs);
      timer.unref();
    };
    tick();
  }

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}

/**
 * Copies the newest report inside each episode of a device (from `fromSeq` on) onto the episode.
 * A report belongs to the episode whose [start, end] contains its `episode_at`.
 */
export async function attachReports(
  client: pg.PoolClient | pg.Pool,
  deviceId: string,
  fromSeq: number,
): Promise<void> {
  await client.query(
    `UPDATE episodes e SET report_id = r.id, assault = r.assault, context = r.context
       FROM episodes e2
       LEFT JOIN LATERAL (
         SELECT id, assault, context FROM episode_reports er
          WHERE er.device_id = e2.device_id AND er.episode_at >= e2.started_at
            AND er.episode_at <= COALESCE(e2.ended_at, 'infinity'::timestamptz)
          ORDER BY er.created_at DESC, er.id LIMIT 1) r ON true
      WHERE e.id = e2.id AND e2.device_id = $1 AND e2.start_seq >= $2`,
    [deviceId, fromSeq],
  );
}
