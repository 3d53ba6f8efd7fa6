/**
 * Issue 17: the statistics views read the roll-ups `episode_week_counts` (migration 0018) and
 * `episode_month_counts` (0019), kept by triggers on `episodes`, and `officer_week_hours` (0019), kept
 * by triggers on the hourly `officer_hours`, which the trigger on `shifts` keeps. Here, against a real
 * PostgreSQL with every migration applied, two tenants' episodes of 16 weeks (mixed teams, contexts,
 * cells, open and closed, with and without reports) and shifts (odd lengths to the millisecond, across
 * midnight and weeks) are written and then changed the ways the gateway changes them — reports
 * attached, episodes re-derived (deleted and inserted again, in one transaction), closed, deleted,
 * moved; shifts ended, changed, moved to another team, deleted (as a retention deletion would) — as
 * the application's role (deletions of shifts as the owner: the app role may not). After each change
 * every figure is compared with the straightforward computation: the roll-ups' rows with a GROUP BY
 * over `episodes` and `officer_hours`, the counts of every period, filter and grouping, the disclosure
 * control of every dimension, officer-hours, the summary's percentiles with the views' original
 * one-query select, and every view (summary, series, breakdowns, heat map, CSV) from either source.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Db, openDb, provisionDevices } from '@lagebild/db';
import { migrate } from '@lagebild/db/migrate';
import {
  displayToRecording,
  type EpisodeSource,
  episodeAtoms,
  episodeCounts,
  episodeProtection,
  officerHours,
  statsBreakdown,
  statsCsv,
  statsExport,
  statsHeatmap,
  statsSeries,
  statsSummary,
} from '@lagebild/gateway/stats';
import { ensureAppRole, type PostgresHandle, startPostgres } from '@lagebild/infra/postgres';
import type { StatsQuery } from '@lagebild/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let pg: PostgresHandle;
let owner: Db;
let app: Db;
const tenants: string[] = [];

const FIRST_WEEK = '2026-02-23';
const DIMS = ['team', 'context', 'weekday', 'hour', 'cell'] as const;

/** The roll-up's rows that hold anything, against the same counts grouped straight from `episodes`. */
const ROLLUP_ROWS = `
  SELECT tenant_id, dim, to_char(local_week, 'YYYY-MM-DD') AS week, value, episodes, display,
         display_then_recording, direct_recording, recordings, deescalated, verbal, physical, announced, reported
    FROM episode_week_counts
   WHERE (episodes, display, display_then_recording, direct_recording, recordings, deescalated, verbal,
          physical, announced, reported) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
   ORDER BY 1, 2, 3, 4`;
const DIRECT_ROWS = `
  SELECT tenant_id, d.dim, to_char(local_week, 'YYYY-MM-DD') AS week, d.value,
         count(*)::int AS episodes,
         count(*) FILTER (WHERE display_first)::int AS display,
         count(*) FILTER (WHERE display_first AND recording_at IS NOT NULL)::int AS display_then_recording,
         count(*) FILTER (WHERE NOT display_first AND recording_at IS NOT NULL)::int AS direct_recording,
         count(*) FILTER (WHERE recording_at IS NOT NULL)::int AS recordings,
         count(*) FILTER (WHERE display_first AND recording_at IS NULL AND assault IS DISTINCT FROM 'verbal'
                          AND assault IS DISTINCT FROM 'physical')::int AS deescalated,
         count(*) FILTER (WHERE assault = 'verbal')::int AS verbal,
         count(*) FILTER (WHERE assault = 'physical')::int AS physical,
         count(*) FILTER (WHERE recording_at IS NOT NULL AND announced)::int AS announced,
         count(report_id)::int AS reported
    FROM episodes e,
         LATERAL (VALUES ('all', ''), ('team', COALESCE(team, '')), ('context', COALESCE(context::text, 'unreported')),
                         ('weekday', local_weekday::text), ('hour', local_hour::text),
                         ('cell', COALESCE(cell_row::text || ':' || cell_col::text, 'none'))) d(dim, value)
   WHERE closed
   GROUP BY 1, 2, 3, 4
   ORDER BY 1, 2, 3, 4`;

/** The month roll-up's rows that hold anything, against the same counts from the week roll-up's source. */
const MONTH_ROLLUP_ROWS = ROLLUP_ROWS.replace(
  'FROM episode_week_counts',
  'FROM episode_month_counts',
).replace("to_char(local_week, 'YYYY-MM-DD') AS week", "to_char(iso_month, 'YYYY-MM') AS week");
const DIRECT_MONTH_ROWS = DIRECT_ROWS.replace(
  "to_char(local_week, 'YYYY-MM-DD') AS week",
  "to_char(local_week + 3, 'YYYY-MM') AS week",
);

/** The weekly officer-hours that hold anything, exactly, against a GROUP BY over the hourly rows (in numeric). */
const WEEK_HOURS_ROWS = `
  SELECT tenant_id, dim, to_char(local_week, 'YYYY-MM-DD') AS week, value, trim_scale(seconds) AS s
    FROM officer_week_hours WHERE seconds <> 0 ORDER BY 1, 2, 3, 4`;
const DIRECT_WEEK_HOURS_ROWS = `
  SELECT * FROM (
    SELECT tenant_id, d.dim, to_char(local_week, 'YYYY-MM-DD') AS week, d.value, trim_scale(sum(seconds::numeric)) AS s
      FROM officer_hours o,
           LATERAL (VALUES ('all', ''), ('team', team), ('weekday', local_weekday::text), ('hour', local_hour::text)) d(dim, value)
     GROUP BY 1, 2, 3, 4) x
   WHERE s <> 0 ORDER BY 1, 2, 3, 4`;

/** The summary's episode figures as the views computed them before the roll-up: one select over episodes. */
const ORIGINAL_SUMMARY = `
  SELECT count(*)::int AS episodes,
         count(*) FILTER (WHERE display_first)::int AS display,
         count(*) FILTER (WHERE display_first AND recording_at IS NOT NULL)::int AS display_then_recording,
         count(*) FILTER (WHERE NOT display_first AND recording_at IS NOT NULL)::int AS direct_recording,
         count(*) FILTER (WHERE recording_at IS NOT NULL)::int AS recordings,
         count(*) FILTER (WHERE display_first AND recording_at IS NULL AND assault IS DISTINCT FROM 'verbal'
                          AND assault IS DISTINCT FROM 'physical')::int AS deescalated,
         count(*) FILTER (WHERE assault = 'verbal')::int AS verbal,
         count(*) FILTER (WHERE assault = 'physical')::int AS physical,
         count(*) FILTER (WHERE recording_at IS NOT NULL AND announced)::int AS announced,
         count(report_id)::int AS reported,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM recording_at - display_at))
           FILTER (WHERE display_first AND recording_at IS NOT NULL) AS d2r_median,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM recording_at - display_at))
           FILTER (WHERE display_first AND recording_at IS NOT NULL) AS d2r_p90
    FROM episodes
   WHERE tenant_id = $1 AND closed AND local_day BETWEEN $2 AND $3
     AND ($4::text IS NULL OR team = $4) AND ($5::text IS NULL OR COALESCE(context::text, 'unreported') = $5)
     AND ($6::int IS NULL OR local_weekday = $6) AND ($7::int IS NULL OR local_hour = $7)`;

/** Episodes `n` of one tenant's devices, started at pseudo-random moments of the 16 weeks. */
async function insertEpisodes(db: Db, tenantId: string, seed: number, n: number): Promise<void> {
  await db.pool.query(
    `WITH devs AS (SELECT array_agg(id ORDER BY label) AS ids, count(*)::int AS k FROM devices WHERE tenant_id = $1)
     INSERT INTO episodes (tenant_id, device_id, team, start_seq, started_at, ended_at, closed, max_stage, display_at,
       recording_at, display_first, announced, emergency, cell_row, cell_col, local_day, local_week, local_weekday,
       local_hour, report_id, assault, context)
     SELECT $1, devs.ids[(i % devs.k) + 1], (ARRAY['Team A', 'Team B', 'Team C', NULL])[(h % 4) + 1], $2::int * 1000000 + i,
            t, t + interval '90 seconds', h % 19 <> 0,
            CASE WHEN rec THEN 'recording'::"Stage" ELSE 'display'::"Stage" END,
            CASE WHEN h % 11 = 0 THEN NULL ELSE t END,
            CASE WHEN rec THEN t + ((h >> 3) % 97) * interval '1.37 seconds' END,
            h % 11 <> 0, CASE WHEN rec AND h % 3 <> 0 THEN h % 2 = 0 END, false,
            CASE WHEN h % 9 = 0 THEN NULL ELSE 100 + (h >> 5) % 4 END, CASE WHEN h % 9 = 0 THEN NULL ELSE 7 + (h >> 7) % 3 END,
            (t AT TIME ZONE 'Europe/Berlin')::date, date_trunc('week', t AT TIME ZONE 'Europe/Berlin')::date,
            extract(isodow FROM t AT TIME ZONE 'Europe/Berlin')::smallint,
            extract(hour FROM t AT TIME ZONE 'Europe/Berlin')::smallint,
            CASE WHEN h % 5 <> 0 THEN gen_random_uuid() END,
            CASE WHEN h % 5 = 0 THEN NULL ELSE (enum_range(NULL::"Assault"))[((h >> 4) % 3) + 1] END,
            CASE WHEN h % 5 = 0 THEN NULL ELSE (enum_range(NULL::"IncidentContext"))[((h >> 2) % 5) + 1] END
       FROM devs, generate_series(1, $3::int) AS i,
            LATERAL (SELECT abs(hashtext($2::text || ':' || i::text)) AS h) hh,
            LATERAL (SELECT $4::timestamptz + (h::float8 / 2147483648) * interval '112 days' AS t,
                            h % 6 = 0 AS rec) x`,
    [tenantId, seed, n, `${FIRST_WEEK}T00:00:00+01`],
  );
}

/**
 * Shifts of one tenant's devices over the 16 weeks: up to 30 hours long, to the millisecond, each
 * under a unit of one of three teams; all ended (an open shift counts up to now, which moves between
 * two computations).
 */
async function insertShifts(db: Db, tenantId: string, seed: number, n: number): Promise<void> {
  await db.pool.query(
    `WITH devs AS (SELECT array_agg(id ORDER BY label) AS ids, count(*)::int AS k FROM devices WHERE tenant_id = $1),
          us AS (SELECT array_agg(id ORDER BY callsign) AS ids FROM units WHERE tenant_id = $1)
     INSERT INTO shifts (tenant_id, unit_id, device_id, started_at, ended_at)
     SELECT $1, us.ids[(h % 3) + 1], devs.ids[(i % devs.k) + 1], t,
            t + ((h >> 4) % 108000000) * interval '1 millisecond'
       FROM devs, us, generate_series(1, $3::int) AS i,
            LATERAL (SELECT abs(hashtext('shift' || $2::text || ':' || i::text)) AS h) hh,
            LATERAL (SELECT date_trunc('milliseconds', $4::timestamptz + (h::float8 / 2147483648) * interval '110 days') AS t) x`,
    [tenantId, seed, n, `${FIRST_WEEK}T00:00:00+01`],
  );
}

const sortRows = <T>(rows: T[]) => rows.map((r) => JSON.stringify(r)).sort();

/** Every period, filter and grouping of the views: counts from the roll-up equal those from episodes. */
async function expectSameEverywhere(): Promise<void> {
  expect((await owner.pool.query(ROLLUP_ROWS)).rows).toEqual((await owner.pool.query(DIRECT_ROWS)).rows);
  expect((await owner.pool.query(MONTH_ROLLUP_ROWS)).rows).toEqual(
    (await owner.pool.query(DIRECT_MONTH_ROWS)).rows,
  );
  expect((await owner.pool.query(WEEK_HOURS_ROWS)).rows).toEqual(
    (await owner.pool.query(DIRECT_WEEK_HOURS_ROWS)).rows,
  );
  const periods = [
    { from: FIRST_WEEK, to: '2026-06-14' },
    { from: '2026-03-30', to: '2026-05-03' },
    { from: '2026-03-02', to: '2026-03-29' },
  ];
  const filters: Array<Partial<StatsQuery>> = [
    {},
    { team: 'Team B' },
    { context: 'large_event' },
    { context: 'unreported' },
    { weekday: 7 },
    { hour: 3 },
  ];
  for (const tenantId of tenants) {
    for (const dim of [null, ...DIMS]) {
      expect(sortRows(await episodeAtoms(app.pool, tenantId, dim, 'rollup'))).toEqual(
        sortRows(await episodeAtoms(app.pool, tenantId, dim, 'episodes')),
      );
      // the control from the month roll-up (for a dimension) is the control from the weekly atoms
      expect(await episodeProtection(app.pool, tenantId, dim, 'rollup')).toEqual(
        await episodeProtection(app.pool, tenantId, dim, 'episodes'),
      );
    }
    for (const period of periods) {
      for (const f of filters) {
        const q = { ...period, ...f } as StatsQuery;
        const fdim = Object.keys(f)[0] as (typeof DIMS)[number] | undefined;
        for (const by of ['total', 'week', ...DIMS] as const) {
          if (fdim !== undefined && by !== 'total' && by !== 'week' && by !== fdim) continue;
          const [a, b] = await Promise.all([
            episodeCounts(app.pool, tenantId, q, by, 'rollup'),
            episodeCounts(app.pool, tenantId, q, by, 'episodes'),
          ]);
          expect(a, `${JSON.stringify(q)} by ${by}`).toEqual(b);
        }
        for (const byWeek of [false, true]) {
          expect(
            await officerHours(app.pool, tenantId, q, byWeek, 'rollup'),
            `${JSON.stringify(q)} hours${byWeek ? ' by week' : ''}`,
          ).toEqual(await officerHours(app.pool, tenantId, q, byWeek, 'episodes'));
        }
        const original = (
          await app.pool.query(ORIGINAL_SUMMARY, [
            tenantId,
            q.from,
            q.to,
            q.team ?? null,
            q.context ?? null,
            q.weekday ?? null,
            q.hour ?? null,
          ])
        ).rows[0];
        const [total] = await episodeCounts(app.pool, tenantId, q, 'total', 'rollup');
        const d2r = await displayToRecording(app.pool, tenantId, q);
        expect({ ...total!, key: undefined, ...d2r }).toEqual({ ...original, key: undefined });
        // the views, from either source (periods snapped to ISO months inside)
        const views = async (source: EpisodeSource) => {
          const { summary, series } = await statsExport(app.pool, tenantId, q, undefined, source);
          return {
            summary,
            series,
            csv: statsCsv(summary, series),
            heatmap: await statsHeatmap(app.pool, tenantId, q, source),
            breakdowns: await Promise.all(
              DIMS.filter((d) => d !== 'cell').map((by) => statsBreakdown(app.pool, tenantId, q, by, source)),
            ),
            again: await statsSummary(app.pool, tenantId, q, undefined, source),
            seriesAgain: await statsSeries(app.pool, tenantId, q, source),
          };
        };
        expect(await views('rollup')).toEqual(await views('episodes'));
      }
    }
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lagebild-rollup-'));
  await chmod(dir, 0o755);
  pg = await startPostgres({ dataDir: join(dir, 'pg') });
  const appUrl = await ensureAppRole(pg.url);
  await migrate(pg.url);
  owner = openDb(pg.url, { max: 2 });
  app = openDb(appUrl, { max: 4 });
  for (const slug of ['rollstadt', 'zaehlstadt']) {
    const { rows } = await owner.pool.query<{ id: string }>(
      `INSERT INTO tenants (slug, name, center_lat, center_lng) VALUES ($1, $1, 51.43, 6.76) RETURNING id`,
      [slug],
    );
    tenants.push(rows[0]!.id);
    await provisionDevices(
      owner.pool,
      rows[0]!.id,
      Array.from({ length: 12 }, (_, i) => `${slug}-${i}`),
    );
    await owner.pool.query(
      `INSERT INTO units (tenant_id, callsign, team) VALUES ($1, 'U1', 'Team A'), ($1, 'U2', 'Team B'), ($1, 'U3', 'Team C')`,
      [rows[0]!.id],
    );
  }
}, 120_000);
afterAll(async () => {
  await app?.close();
  await owner?.close();
  await pg?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the roll-ups of episodes and officer-hours (migrations 0018, 0019) equal the counts over their tables', () => {
  it('after inserts of two tenants, as the application role', async () => {
    await insertEpisodes(app, tenants[0]!, 1, 3000);
    await insertEpisodes(app, tenants[1]!, 2, 1200);
    await insertShifts(app, tenants[0]!, 1, 400);
    await insertShifts(app, tenants[1]!, 2, 150);
    const { rows } = await owner.pool.query(
      `SELECT (SELECT count(*)::int FROM episode_week_counts WHERE dim = 'all') AS weeks,
              (SELECT count(*)::int FROM episode_month_counts WHERE dim = 'all') AS months,
              (SELECT count(*)::int FROM officer_week_hours WHERE dim = 'all') AS hour_weeks`,
    );
    expect(rows[0]).toEqual({
      weeks: expect.any(Number),
      months: expect.any(Number),
      hour_weeks: expect.any(Number),
    });
    expect(rows[0].weeks).toBeGreaterThan(30);
    expect(rows[0].months).toBeGreaterThan(7);
    expect(rows[0].hour_weeks).toBeGreaterThan(30);
    await expectSameEverywhere();
  }, 300_000);

  it('after reports are attached, episodes closed, deleted, re-derived and moved to other weeks', async () => {
    const t = tenants[0]!;
    // reports attached (the builder's attachReports updates every episode from the restart point)
    await app.pool.query(
      `UPDATE episodes SET report_id = gen_random_uuid(), assault = 'physical', context = 'other'
        WHERE tenant_id = $1 AND id % 7 = 0`,
      [t],
    );
    await app.pool.query(`UPDATE episodes SET team = team WHERE tenant_id = $1`, [t]); // no difference
    await app.pool.query(`UPDATE episodes SET closed = NOT closed WHERE tenant_id = $1 AND id % 23 = 0`, [t]);
    await app.pool.query(`DELETE FROM episodes WHERE tenant_id = $1 AND id % 13 = 0`, [t]);
    // a re-derivation: one device's episodes deleted from a restart point and inserted again, changed
    const client = await app.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query(
        `DELETE FROM episodes WHERE tenant_id = $1 AND device_id = (SELECT device_id FROM episodes WHERE tenant_id = $1 LIMIT 1)
          RETURNING to_jsonb(episodes.*) AS j`,
        [t],
      );
      expect(rows.length).toBeGreaterThan(10);
      const again = rows.map((r, i) => ({ ...r.j, recording_at: i % 3 === 0 ? null : r.j.recording_at }));
      await client.query(
        `INSERT INTO episodes SELECT * FROM jsonb_populate_recordset(NULL::episodes, $1::jsonb)`,
        [JSON.stringify(again)],
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    // moved a week later (a late event changes an episode's start)
    await app.pool.query(
      `UPDATE episodes SET started_at = started_at + interval '7 days', local_day = local_day + 7,
              local_week = local_week + 7, team = 'Team C'
        WHERE tenant_id = $1 AND id % 17 = 0`,
      [t],
    );
    // shifts: ended later, started earlier, moved to another team, deleted (a retention deletion)
    await app.pool.query(
      `UPDATE shifts SET ended_at = ended_at + interval '3 hours 17.123 seconds' WHERE tenant_id = $1 AND abs(hashtext(id::text)) % 5 = 0`,
      [t],
    );
    await app.pool.query(
      `UPDATE shifts SET started_at = started_at - interval '50 minutes' WHERE tenant_id = $1 AND abs(hashtext(id::text)) % 7 = 1`,
      [t],
    );
    await owner.pool.query(
      `UPDATE shifts SET team = 'Team C' WHERE tenant_id = $1 AND team = 'Team A' AND abs(hashtext(id::text)) % 3 = 2`,
      [t],
    );
    const gone = await owner.pool.query(
      `DELETE FROM shifts WHERE tenant_id = $1 AND abs(hashtext(id::text)) % 11 = 3`,
      [t],
    );
    expect(gone.rowCount).toBeGreaterThan(5);
    await expectSameEverywhere();
  }, 300_000);

  it('notices a roll-up of officer-hours that missed a write (the comparison can fail)', async () => {
    await owner.pool.query('ALTER TABLE officer_hours DISABLE TRIGGER officer_hours_week_update');
    try {
      await app.pool.query(
        `UPDATE shifts SET ended_at = ended_at + interval '1 hour' WHERE tenant_id = $1 AND abs(hashtext(id::text)) % 9 = 4`,
        [tenants[1]],
      );
    } finally {
      await owner.pool.query('ALTER TABLE officer_hours ENABLE TRIGGER officer_hours_week_update');
    }
    await expect(expectSameEverywhere()).rejects.toThrow();
    // put the weekly sums right again for the next test: rebuilt from the hourly rows
    await owner.pool.query('DELETE FROM officer_week_hours');
    const { rows } = await owner.pool.query<{ q: string }>(
      `SELECT lagebild_officer_week_hours_sql('SELECT 1 AS "sign", x.* FROM "officer_hours" x') AS q`,
    );
    await owner.pool.query(rows[0]!.q);
    expect((await owner.pool.query(WEEK_HOURS_ROWS)).rows).toEqual(
      (await owner.pool.query(DIRECT_WEEK_HOURS_ROWS)).rows,
    );
  }, 300_000);

  it('notices a month roll-up that drifted from its weeks (the comparison and the control can fail)', async () => {
    const drift = `UPDATE episode_month_counts SET episodes = episodes + $2
                    WHERE tenant_id = $1 AND dim = 'cell' AND iso_month = '2026-04-01' AND value <> 'none'`;
    const { rowCount } = await owner.pool.query(drift, [tenants[0], 1]);
    expect(rowCount).toBeGreaterThan(0);
    try {
      await expect(expectSameEverywhere()).rejects.toThrow();
      await expect(episodeProtection(app.pool, tenants[0]!, 'cell', 'rollup')).rejects.toThrow(
        /inconsistent/,
      );
    } finally {
      await owner.pool.query(drift, [tenants[0], -1]);
    }
    expect((await owner.pool.query(MONTH_ROLLUP_ROWS)).rows).toEqual(
      (await owner.pool.query(DIRECT_MONTH_ROWS)).rows,
    );
  }, 300_000);

  it('notices a roll-up that missed a write (the comparison can fail)', async () => {
    await owner.pool.query('ALTER TABLE episodes DISABLE TRIGGER episodes_week_counts_delete');
    try {
      await owner.pool.query(`DELETE FROM episodes WHERE tenant_id = $1 AND id % 29 = 0 AND closed`, [
        tenants[1],
      ]);
    } finally {
      await owner.pool.query('ALTER TABLE episodes ENABLE TRIGGER episodes_week_counts_delete');
    }
    await expect(expectSameEverywhere()).rejects.toThrow();
  }, 300_000);
});
