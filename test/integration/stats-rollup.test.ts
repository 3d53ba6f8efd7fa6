/**
 * Issue 17: the statistics views read the per-week roll-up `episode_week_counts` (migration 0018),
 * kept by triggers on `episodes`. Here, against a real PostgreSQL with every migration applied, two
 * tenants' episodes of 16 weeks (mixed teams, contexts, cells, open and closed, with and without
 * reports) are written and then changed the ways the gateway changes them — reports attached,
 * episodes re-derived (deleted and inserted again, in one transaction), closed, deleted, moved — as
 * the application's role. After each change every figure is compared with the straightforward
 * computation over `episodes`: the roll-up's rows with a GROUP BY over the table, the counts of every
 * period, filter and grouping, the summary's percentiles with the views' original one-query select,
 * and every view (summary, series, breakdowns, heat map, CSV) computed from either source.
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

const sortRows = <T>(rows: T[]) => rows.map((r) => JSON.stringify(r)).sort();

/** Every period, filter and grouping of the views: counts from the roll-up equal those from episodes. */
async function expectSameEverywhere(): Promise<void> {
  expect((await owner.pool.query(ROLLUP_ROWS)).rows).toEqual((await owner.pool.query(DIRECT_ROWS)).rows);
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
  }
}, 120_000);
afterAll(async () => {
  await app?.close();
  await owner?.close();
  await pg?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the per-week roll-up of episodes (migration 0018) equals the counts over episodes', () => {
  it('after inserts of two tenants, as the application role', async () => {
    await insertEpisodes(app, tenants[0]!, 1, 3000);
    await insertEpisodes(app, tenants[1]!, 2, 1200);
    const { rows } = await owner.pool.query(
      `SELECT count(*)::int AS n FROM episode_week_counts WHERE dim = 'all'`,
    );
    expect(rows[0].n).toBeGreaterThan(30);
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
    await expectSameEverywhere();
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
