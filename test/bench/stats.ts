/**
 * `npm run bench:stats -- [--events 10000000] [--episodes 500000] [--devices 1000] [--runs 20] [--ref-runs 3] [--json] [--verbose] [--hold]`
 *
 * Starts embedded PostgreSQL, redis-server and one gateway, fills Duisburg with a year of data
 * generated in SQL (generate_series): N status events, M episodes with reports' context/assault,
 * shifts of every device and the hourly officer-hours roll-up the shifts trigger maintains (here
 * filled in one statement, the same SQL as the migration's backfill; its weekly roll-up, migration
 * 0019, by its trigger on that INSERT). The episodes' per-week and per-month roll-ups (migrations
 * 0018, 0019) are filled by their trigger in the same INSERT. Then signs in as the evaluator and
 * times every statistics view over HTTP with typical filters, `runs` warm times each after one cold
 * run: p50 and p95 warm against the goal (issue 17: every view under 100 ms warm). Reference in the
 * same run: each view computed in the gateway's code against the same database from the base tables
 * directly (`episodes` and the hourly `officer_hours`: the straightforward computation, as the views
 * read before 0018) and from the roll-ups, both in this process; their answers must be equal, and so
 * must each roll-up's rows and the sums of what it rolls up (checked once after the fill). The last
 * stdout line with --json is one JSON object.
 */
import { provisionDevices } from '@lagebild/db';
import {
  type EpisodeSource,
  statsBreakdown,
  statsCsv,
  statsExport,
  statsHeatmap,
  statsSeries,
  statsSummary,
} from '@lagebild/gateway/stats';
import { type StatsQuery, StatsQuery as StatsQuerySchema } from '@lagebild/protocol';
import { z } from 'zod';
import { login } from '../src/clients.ts';
import { DEMO_PASSWORD, startStack } from '../src/stack.ts';

const Args = z.object({
  events: z.coerce.number().int().min(0).max(100_000_000).default(10_000_000),
  episodes: z.coerce.number().int().min(1000).max(10_000_000).default(500_000),
  devices: z.coerce.number().int().min(10).max(50_000).default(1000),
  runs: z.coerce.number().int().min(2).max(200).default(20),
  'ref-runs': z.coerce.number().int().min(1).max(50).default(3),
  /** the gateway's log lines on stdout (they come before the table) */
  verbose: z.boolean().default(false),
  json: z.boolean().default(false),
  /** keep the stack up after measuring (for EXPLAIN ANALYZE on the same data) until SIGINT */
  hold: z.boolean().default(false),
});
const raw: Record<string, string | boolean> = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i]!;
  if (!a.startsWith('--')) continue;
  const next = process.argv[i + 1];
  if (next === undefined || next.startsWith('--')) raw[a.slice(2)] = true;
  else raw[a.slice(2)] = process.argv[++i]!;
}
const parsed = Args.safeParse(raw);
if (!parsed.success) {
  console.error(
    'usage: bench:stats -- [--events N] [--episodes N] [--devices N] [--runs N] [--ref-runs N] [--json] [--hold]',
  );
  process.exit(2);
}
const args = parsed.data;
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const GOAL_MS = 100;
const YEAR_START = '2025-01-01T00:00:00+01';

const stack = await startStack({
  gateways: 1,
  devicesPerTenant: 1,
  // derivation is measured by the integration suite; here the episodes are generated directly
  gatewayEnv: { LOG_LEVEL: 'error', EPISODE_BUILD_MS: '0' },
  verbose: args.verbose,
});
try {
  const pool = stack.db.pool;
  const tenant = stack.tenants.find((t) => t.slug === 'duisburg')!;
  const timed = async (what: string, sql: string, params: unknown[] = []) => {
    const t0 = performance.now();
    await pool.query(sql, params);
    const s = (performance.now() - t0) / 1000;
    log(`${what}: ${s.toFixed(1)} s`);
    return s;
  };
  log(`provisioning ${args.devices} devices in ${tenant.slug}`);
  const labels = Array.from({ length: args.devices }, (_, i) => `BENCH-${String(i + 1).padStart(5, '0')}`);
  await provisionDevices(pool, tenant.id, labels);
  const load: Record<string, number> = {};
  await pool.query(`SET statement_timeout = 0`);
  load.units = await timed(
    'units',
    `INSERT INTO units (tenant_id, callsign, team)
     SELECT $1, 'Bench ' || d.label, 'Team ' || ((row_number() OVER (ORDER BY d.label) - 1) % 10 + 1)
       FROM devices d WHERE d.tenant_id = $1 AND d.label LIKE 'BENCH-%'`,
    [tenant.id],
  );
  // one 8-hour shift per device on ~70 % of the days of a year; hours rolled up in one statement
  await pool.query('ALTER TABLE shifts DISABLE TRIGGER shifts_officer_hours');
  load.shifts = await timed(
    'shifts',
    `INSERT INTO shifts (tenant_id, unit_id, device_id, started_at, ended_at)
     SELECT $1, u.id, d.id, s, s + interval '8 hours'
       FROM devices d JOIN units u ON u.tenant_id = $1 AND u.callsign = 'Bench ' || d.label,
            generate_series(0, 364) AS day,
            LATERAL (SELECT $2::timestamptz + day * interval '1 day'
                            + (CASE WHEN hashtext(d.label || day) % 2 = 0 THEN 6 ELSE 14 END) * interval '1 hour' AS s) x
      WHERE d.tenant_id = $1 AND d.label LIKE 'BENCH-%' AND abs(hashtext(d.label || day::text)) % 10 < 7`,
    [tenant.id, YEAR_START],
  );
  await pool.query('ALTER TABLE shifts ENABLE TRIGGER shifts_officer_hours');
  load.officerHours = await timed(
    'officer_hours roll-up',
    `INSERT INTO officer_hours (tenant_id, team, hour, local_day, local_week, local_weekday, local_hour, seconds)
     SELECT sh.tenant_id, u.team, s.hour, s.local_day, s.local_week, s.local_weekday, s.local_hour, sum(s.seconds)
       FROM shifts sh JOIN units u ON u.id = sh.unit_id, lagebild_hour_slices(sh.started_at, sh.ended_at) s
      WHERE sh.tenant_id = $1 AND sh.ended_at IS NOT NULL
      GROUP BY 1, 2, 3, 4, 5, 6, 7
     ON CONFLICT (tenant_id, team, hour) DO UPDATE SET seconds = officer_hours.seconds + EXCLUDED.seconds`,
    [tenant.id],
  );
  // status events: the volume the statistics must not be slowed by (they only feed derivation)
  await pool.query('ALTER TABLE status_events DISABLE TRIGGER status_events_mark_episodes');
  load.statusEvents = await timed(
    `${args.events} status events`,
    `WITH devs AS (SELECT array_agg(id ORDER BY label) AS ids FROM devices WHERE tenant_id = $1 AND label LIKE 'BENCH-%')
     INSERT INTO status_events (tenant_id, device_id, seq, device_time, received_at, lat, lng, accuracy_m,
       battery_pct, signal_bars, network, stage, announced, emergency)
     SELECT $1, devs.ids[(i % $3) + 1], i / $3 + 1, t, t, 51.43 + (i % 97) * 0.0004, 6.76 + (i % 89) * 0.0005, 5,
            80, 3, 'lte', CASE WHEN i % 50 = 0 THEN 'display'::"Stage" ELSE 'standby'::"Stage" END, NULL, false
       FROM devs, generate_series(0, $2 - 1) AS i,
            LATERAL (SELECT $4::timestamptz + (i::float8 / $2) * interval '365 days' AS t) x`,
    [tenant.id, args.events, args.devices, YEAR_START],
  );
  await pool.query('ALTER TABLE status_events ENABLE TRIGGER status_events_mark_episodes');
  load.episodes = await timed(
    `${args.episodes} episodes`,
    `WITH devs AS (SELECT array_agg(d.id ORDER BY d.label) AS ids, array_agg(u.team ORDER BY d.label) AS teams,
                          array_agg(u.id ORDER BY d.label) AS units
                     FROM devices d JOIN units u ON u.tenant_id = d.tenant_id AND u.callsign = 'Bench ' || d.label
                    WHERE d.tenant_id = $1)
     INSERT INTO episodes (tenant_id, device_id, unit_id, team, start_seq, started_at, ended_at, closed, max_stage,
       display_at, recording_at, display_first, announced, emergency, cell_row, cell_col, local_day, local_week,
       local_weekday, local_hour, report_id, assault, context)
     SELECT $1, devs.ids[(i % $3) + 1], devs.units[(i % $3) + 1], devs.teams[(i % $3) + 1], i, t,
            t + interval '2 minutes', true,
            CASE WHEN rec THEN 'recording'::"Stage" ELSE 'display'::"Stage" END,
            CASE WHEN i % 60 = 0 THEN NULL ELSE t END,
            CASE WHEN rec THEN t + (20 + i % 90) * interval '1 second' END,
            i % 60 <> 0, CASE WHEN rec THEN i % 10 <> 0 END, false,
            10286 + (i % 23), 845 + (i % 29),
            (t AT TIME ZONE 'Europe/Berlin')::date, date_trunc('week', t AT TIME ZONE 'Europe/Berlin')::date,
            extract(isodow FROM t AT TIME ZONE 'Europe/Berlin')::smallint,
            extract(hour FROM t AT TIME ZONE 'Europe/Berlin')::smallint,
            CASE WHEN i % 7 <> 0 THEN gen_random_uuid() END,
            CASE WHEN i % 7 = 0 THEN NULL WHEN rec AND i % 4 = 0 THEN 'verbal'::"Assault"
                 WHEN rec AND i % 13 = 0 THEN 'physical'::"Assault" ELSE 'none'::"Assault" END,
            CASE WHEN i % 7 = 0 THEN NULL ELSE (enum_range(NULL::"IncidentContext"))[(i % 5) + 1] END
       FROM devs, generate_series(1, $2) AS i,
            LATERAL (SELECT $4::timestamptz + (hashtext(i::text)::float8 / 4294967296 + 0.5) * interval '365 days' AS t,
                            i % 14 = 0 AS rec) x`,
    [tenant.id, args.episodes, args.devices, YEAR_START],
  );
  load.analyze = await timed('VACUUM ANALYZE', 'VACUUM ANALYZE');
  // each roll-up against what it sums, row for row (0 rows differ, or the run fails)
  const drift = await pool.query<{ table: string; differ: number }>(
    `SELECT 'episode_week_counts' AS table, count(*)::int AS differ FROM (
       (SELECT dim, local_week, value, episodes, recordings, reported FROM episode_week_counts WHERE episodes <> 0
        EXCEPT
        SELECT d.dim, local_week, d.value, count(*), count(recording_at), count(report_id)
          FROM episodes e, LATERAL (VALUES ('all', ''), ('team', COALESCE(team, '')),
                 ('context', COALESCE(context::text, 'unreported')), ('weekday', local_weekday::text),
                 ('hour', local_hour::text), ('cell', COALESCE(cell_row::text || ':' || cell_col::text, 'none'))) d(dim, value)
         WHERE closed GROUP BY 1, 2, 3)) x
     UNION ALL
     SELECT 'episode_month_counts', count(*)::int FROM (
       (SELECT dim, iso_month, value, episodes, display, display_then_recording, direct_recording, recordings,
               deescalated, verbal, physical, announced, reported FROM episode_month_counts WHERE episodes <> 0
        EXCEPT
        SELECT dim, date_trunc('month', local_week + 3)::date, value, sum(episodes), sum(display),
               sum(display_then_recording), sum(direct_recording), sum(recordings), sum(deescalated), sum(verbal),
               sum(physical), sum(announced), sum(reported)
          FROM episode_week_counts GROUP BY 1, 2, 3 HAVING sum(episodes) <> 0)) y
     UNION ALL
     SELECT 'officer_week_hours', count(*)::int FROM (
       (SELECT dim, local_week, value, seconds FROM officer_week_hours WHERE seconds <> 0
        EXCEPT
        SELECT d.dim, local_week, d.value, sum(seconds::numeric)
          FROM officer_hours, LATERAL (VALUES ('all', ''), ('team', team), ('weekday', local_weekday::text),
                 ('hour', local_hour::text)) d(dim, value)
         GROUP BY 1, 2, 3 HAVING sum(seconds::numeric) <> 0)) z`,
  );
  for (const d of drift.rows) log(`${d.table}: ${d.differ} rows differ from what it sums`);
  const rollupsExact = drift.rows.every((d) => d.differ === 0);

  const cookie = await login(stack.url, 'duisburg.evaluator', DEMO_PASSWORD);
  const year = 'from=2025-01-01&to=2025-12-31';
  const filters: Record<string, string> = {
    year,
    quarter: 'from=2025-04-01&to=2025-06-30',
    team: `${year}&team=Team+3`,
    context: `${year}&context=large_event`,
    // one filter at a time: combined filters are refused since the differencing protection (issue 11)
    weekday: `${year}&weekday=6`,
    hour: `${year}&hour=22`,
  };
  const quietMs = 120_000; // any: the summary only reports it
  /** Each view over HTTP, and the same answer computed in this process from either source. */
  const views: Record<
    string,
    { path: string; compute: (q: StatsQuery, s: EpisodeSource) => Promise<unknown> }
  > = {
    summary: { path: '/api/stats/summary', compute: (q, s) => statsSummary(pool, tenant.id, q, quietMs, s) },
    series: { path: '/api/stats/series', compute: (q, s) => statsSeries(pool, tenant.id, q, s) },
    heatmap: { path: '/api/stats/heatmap', compute: (q, s) => statsHeatmap(pool, tenant.id, q, s) },
    'breakdown by context': {
      path: '/api/stats/breakdown?by=context&',
      compute: (q, s) => statsBreakdown(pool, tenant.id, q, 'context', s),
    },
    'breakdown by hour': {
      path: '/api/stats/breakdown?by=hour&',
      compute: (q, s) => statsBreakdown(pool, tenant.id, q, 'hour', s),
    },
    'csv export': {
      path: '/api/stats/export.csv',
      compute: async (q, s) => {
        const { summary, series } = await statsExport(pool, tenant.id, q, quietMs, s);
        return statsCsv(summary, series);
      },
    },
  };
  /** Rows of an answer: points, rows, cells, CSV lines; 1 for the summary. */
  const rowsOf = (body: string): number => {
    if (!body.startsWith('{')) return body.trim().split('\r\n').length;
    const j = JSON.parse(body) as { points?: unknown[]; rows?: unknown[]; cells?: unknown[] };
    return (j.points ?? j.rows ?? j.cells ?? [null]).length;
  };
  const pct = (sorted: number[], p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  /** `n` sorted times of `fn`, and its last answer */
  const timeIt = async (n: number, fn: () => Promise<unknown>) => {
    const times: number[] = [];
    let answer: unknown;
    for (let r = 0; r < n; r++) {
      const t0 = performance.now();
      answer = await fn();
      times.push(performance.now() - t0);
    }
    return Object.assign(
      times.sort((a, b) => a - b),
      { answer },
    );
  };
  interface Result {
    view: string;
    filter: string;
    rows: number;
    coldMs: number;
    p50Ms: number;
    p95Ms: number;
    /** in this process, same run: from `episodes` (the reference) and from the roll-up */
    episodesP50Ms: number;
    rollupP50Ms: number;
    sameAnswer: boolean;
  }
  const results: Result[] = [];
  for (const [view, v] of Object.entries(views)) {
    for (const [filter, qs] of Object.entries(filters)) {
      const url = `${stack.url}${v.path}${v.path.endsWith('&') ? '' : '?'}${qs}`;
      let body = '';
      const get = async () => {
        const res = await fetch(url, { headers: { cookie } });
        body = await res.text();
        if (res.status !== 200) throw new Error(`${url} → ${res.status}`);
      };
      const [cold] = await timeIt(1, get);
      const warm = await timeIt(args.runs, get);
      const q = StatsQuerySchema.parse(Object.fromEntries(new URLSearchParams(qs)));
      const direct = await timeIt(args['ref-runs'], () => v.compute(q, 'episodes'));
      const rolled = await timeIt(args['ref-runs'], () => v.compute(q, 'rollup'));
      const same = JSON.stringify(direct.answer) === JSON.stringify(rolled.answer);
      results.push({
        view,
        filter,
        rows: rowsOf(body),
        coldMs: Math.round(cold!),
        p50Ms: Math.round(pct(warm, 0.5)),
        p95Ms: Math.round(pct(warm, 0.95)),
        episodesP50Ms: Math.round(pct(direct, 0.5)),
        rollupP50Ms: Math.round(pct(rolled, 0.5)),
        sameAnswer: same,
      });
      log(`${view} / ${filter}: p50 ${pct(warm, 0.5).toFixed(0)} ms`);
    }
  }
  const check = await pool.query<{
    events: string;
    episodes: string;
    rollup: string;
    months: string;
    hours: string;
    weekHours: string;
  }>(
    `SELECT (SELECT count(*) FROM status_events) AS events, (SELECT count(*) FROM episodes) AS episodes,
            (SELECT count(*) FROM episode_week_counts) AS rollup,
            (SELECT count(*) FROM episode_month_counts) AS months,
            (SELECT count(*) FROM officer_hours) AS hours,
            (SELECT count(*) FROM officer_week_hours) AS "weekHours"`,
  );
  const worst = Math.max(...results.map((r) => r.p95Ms));
  const allSame = results.every((r) => r.sameAnswer) && rollupsExact;
  const c = check.rows[0]!;
  console.log(
    `\nstatistics over ${c.events} status events and ${c.episodes} episodes (roll-up rows: ${c.rollup} weekly, ` +
      `${c.months} monthly; officer-hours: ${c.hours} hourly, ${c.weekHours} weekly); HTTP warm over ` +
      `${args.runs} runs; reference in-process, median of ${args['ref-runs']}`,
  );
  const cols: Array<[string, number, (r: Result) => string]> = [
    ['view', 22, (r) => r.view],
    ['filter', 9, (r) => r.filter],
    ['rows', 6, (r) => String(r.rows)],
    ['cold', 7, (r) => String(r.coldMs)],
    ['p50', 6, (r) => String(r.p50Ms)],
    ['p95', 6, (r) => String(r.p95Ms)],
    ['goal', 10, (r) => (r.p95Ms < GOAL_MS ? `<${GOAL_MS} met` : `<${GOAL_MS} NOT`)],
    ['from base', 11, (r) => String(r.episodesP50Ms)],
    ['from roll-up', 14, (r) => String(r.rollupP50Ms)],
    ['same', 6, (r) => (r.sameAnswer ? 'yes' : 'NO')],
  ];
  console.log(cols.map(([h, w], i) => (i < 2 ? h.padEnd(w) : h.padStart(w))).join(''));
  for (const r of results) {
    console.log(cols.map(([, w, f], i) => (i < 2 ? f(r).padEnd(w) : f(r).padStart(w))).join(''));
  }
  console.log(
    '(ms; cold, p50 and p95 over HTTP; "from base" (episodes, hourly officer_hours) / "from roll-up": the same view computed in this process)',
  );
  console.log(
    `worst warm p95 ${worst} ms, goal < ${GOAL_MS} ms: ${worst < GOAL_MS ? 'met' : 'NOT met'}; ` +
      `answers from the roll-ups equal those from the base tables, and each roll-up what it sums: ${allSame ? 'yes' : 'NO'}`,
  );
  if (args.json) {
    console.log(
      JSON.stringify({
        bench: 'stats',
        statusEvents: Number(c.events),
        episodes: Number(c.episodes),
        rollupRows: Number(c.rollup),
        monthRollupRows: Number(c.months),
        weekHoursRows: Number(c.weekHours),
        rollupsExact,
        devices: args.devices,
        runs: args.runs,
        loadSeconds: load,
        goalMs: GOAL_MS,
        worstP95Ms: worst,
        goalMet: worst < GOAL_MS,
        sameAnswers: allSame,
        queries: results,
      }),
    );
  }
  if (!allSame) process.exitCode = 1;
  if (args.hold) {
    log(`holding: PostgreSQL at ${stack.pg.url}, gateway at ${stack.url}; Ctrl+C stops`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
} finally {
  await stack.stop();
}
