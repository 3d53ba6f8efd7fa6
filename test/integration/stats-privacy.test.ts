/**
 * Issue 11, "Statistics privacy": small-cell suppression holds against differencing. A fixture
 * tenant ("Prüfstadt") holds one small cell, Team Süd's two episodes on Tuesday 14 April 2026 at
 * 03:00 (their own hour, weekday and grid cell), beside Team Nord's large weekly pattern. The tests
 * play the evaluator's attacks through the real HTTP API (overlapping periods, a filter against
 * none, series against summary, CSV against summary, breakdown rows against the total, the heat
 * map) and assert that no pair of answers, nor a total less the rows shown, gives the two away.
 * The events go into status_events like the pilot seed's, and the gateway's episode builder
 * derives the episodes.
 *
 * Fixture (local time, CEST): ISO month April 2026 = 30 March – 3 May, May = 4 – 31 May.
 *  Team Nord, every week of April: Monday 09, 10, 11 h and Wednesday 14, 15, 16 h → 30 episodes;
 *  in May the same for three weeks and Monday 09, 10 h in the week of 25 May → 20 episodes.
 *  Team Süd: Tuesday 14 April 03:00 and 03:30, elsewhere in town → 2 episodes (the small cell).
 * The weeks of 18 and 25 May (6 and 2) form a second, smaller small cell in time.
 *
 * And § 76 BDSG: baseline writes and statistics exports (CSV, printable report) are entries in
 * the hash-chained audit log, not only log lines.
 */
import { hashPassword, provisionDevices } from '@lagebild/db';
import type {
  StatsBreakdown,
  StatsHeatmap,
  StatsReport,
  StatsSeries,
  StatsSummary,
} from '@lagebild/protocol';
import { addDays, localToEpoch } from '@lagebild/stats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from '../src/clients.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';

let stack: Stack;
let tenantId: string;
let cookie: string;

const APRIL = 'from=2026-04-01&to=2026-04-30';
const SECRET = 2;

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${stack.url}${path}`, { headers: { cookie } });
  expect(res.status, path).toBe(200);
  const text = await res.text();
  return (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
}
const summary = (q: string) => get<StatsSummary>(`/api/stats/summary?${q}`);
const episodes = async (q: string) => (await summary(q)).funnel.episodes;

/** a − b when both are shown; the difference of two nested selections must never be a small cell */
function expectNoSmallDifference(a: number | null, b: number | null, what: string) {
  if (a === null || b === null) return;
  const d = a - b;
  expect(d === 0 || d >= 5 || d <= -5, `${what}: ${a} − ${b} = ${d}`).toBe(true);
}

interface Ep {
  day: string;
  hour: number;
}

function nordEpisodes(): Ep[] {
  const out: Ep[] = [];
  const weeks = ['2026-03-30', '2026-04-06', '2026-04-13', '2026-04-20', '2026-04-27'];
  for (const monday of [...weeks, '2026-05-04', '2026-05-11', '2026-05-18']) {
    for (const h of [9, 10, 11]) out.push({ day: monday, hour: h });
    for (const h of [14, 15, 16]) out.push({ day: addDays(monday, 2), hour: h });
  }
  out.push({ day: '2026-05-25', hour: 9 }, { day: '2026-05-25', hour: 10 });
  return out;
}
const SUED: Ep[] = [
  { day: '2026-04-14', hour: 3 },
  { day: '2026-04-14', hour: 3.5 },
];

/** One display → standby episode per entry, as status events of one camera. */
async function insertEvents(deviceId: string, eps: Ep[], pos: { lat: number; lng: number }) {
  const times: number[] = [];
  const stages: string[] = [];
  const first = localToEpoch(eps[0]!.day, eps[0]!.hour) - 3_600_000;
  times.push(first);
  stages.push('standby');
  for (const e of eps) {
    const t = localToEpoch(e.day, e.hour);
    times.push(t, t + 60_000);
    stages.push('display', 'standby');
  }
  await stack.db.pool.query(
    `INSERT INTO status_events (tenant_id, device_id, seq, device_time, received_at, lat, lng, accuracy_m,
       heading_deg, speed_mps, battery_pct, signal_bars, network, stage, announced, unannounced_reason, emergency)
     SELECT $1, $2, seq, t, t, $5, $6, 5, NULL, 0, 80, 3, 'lte', stage, NULL, NULL, false
       FROM unnest($3::timestamptz[], $4::"Stage"[]) WITH ORDINALITY AS x(t, stage, seq)`,
    [tenantId, deviceId, times.map((t) => new Date(t)), stages, pos.lat, pos.lng],
  );
}

beforeAll(async () => {
  stack = await startStack({ gateways: 1, devicesPerTenant: 1, gatewayEnv: { EPISODE_BUILD_MS: '150' } });
  const pool = stack.db.pool;
  tenantId = (
    await pool.query<{ id: string }>(
      `INSERT INTO tenants (slug, name, center_lat, center_lng) VALUES ('pruefstadt', 'Stadt Prüfstadt', 51.43, 6.76) RETURNING id`,
    )
  ).rows[0]!.id;
  await pool.query(
    `INSERT INTO users (tenant_id, username, display_name, role, password_hash) VALUES ($1, 'pruefstadt.evaluator', 'Auswertung', 'evaluator', $2)`,
    [tenantId, await hashPassword(DEMO_PASSWORD)],
  );
  const [nord, sued] = await provisionDevices(pool, tenantId, ['P-NORD', 'P-SUED']);
  const units = await pool.query<{ id: string; team: string }>(
    `INSERT INTO units (tenant_id, callsign, team) VALUES ($1, 'N1', 'Team Nord'), ($1, 'S1', 'Team Süd') RETURNING id, team`,
    [tenantId],
  );
  const unit = (team: string) => units.rows.find((u) => u.team === team)!.id;
  await pool.query(
    `INSERT INTO shifts (tenant_id, unit_id, device_id, started_at, ended_at) VALUES ($1, $2, $3, $6, $7), ($1, $4, $5, $6, $7)`,
    [
      tenantId,
      unit('Team Nord'),
      nord!.deviceId,
      unit('Team Süd'),
      sued!.deviceId,
      new Date(localToEpoch('2026-03-29', 0)),
      new Date(localToEpoch('2026-06-01', 0)),
    ],
  );
  await insertEvents(nord!.deviceId, nordEpisodes(), { lat: 51.4318, lng: 6.7626 });
  await insertEvents(sued!.deviceId, SUED, { lat: 51.47, lng: 6.8 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM episodes WHERE tenant_id = $1 AND closed',
      [tenantId],
    );
    if (r.rows[0]!.n === 52) break;
    if (Date.now() > deadline) throw new Error(`episodes not derived: ${r.rows[0]!.n} of 52`);
    await new Promise((res) => setTimeout(res, 100));
  }
  cookie = await login(stack.url, 'pruefstadt.evaluator', DEMO_PASSWORD);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the fixture', () => {
  it('holds the small cell the attacks are after (Team Süd: 2 episodes, Tuesday 14 April, 03 h)', async () => {
    const r = await stack.db.pool.query(
      `SELECT team, local_weekday, local_hour, count(*)::int AS n FROM episodes
        WHERE tenant_id = $1 AND closed AND team = 'Team Süd' GROUP BY 1, 2, 3`,
      [tenantId],
    );
    expect(r.rows).toEqual([{ team: 'Team Süd', local_weekday: 2, local_hour: 3, n: SECRET }]);
    expect(await episodes(APRIL)).toBe(32); // the whole month is shown: Süd is inside it
  });
});

describe('differencing attacks through the API (issue 11)', () => {
  it('a period and the same period plus one day give the same answer (whole ISO months)', async () => {
    const before = await summary('from=2026-03-30&to=2026-04-13');
    const after = await summary('from=2026-03-30&to=2026-04-14');
    expect(before.query).toMatchObject({ from: '2026-03-30', to: '2026-05-03' });
    expect(after).toEqual(before);
    expectNoSmallDifference(after.funnel.episodes, before.funnel.episodes, 'plus one day');
    // one more day at the end of the month reaches into May: the difference is all of May
    const more = await episodes('from=2026-04-01&to=2026-05-04');
    expect(more).toBe(52);
    expectNoSmallDifference(more, await episodes(APRIL), 'April plus 4 May');
  });

  it('a team filter against no filter: the large team is the complement of the small one', async () => {
    const nord = await summary(`${APRIL}&team=Team%20Nord`);
    const sued = await summary(`${APRIL}&team=Team%20S%C3%BCd`);
    expect(nord).toMatchObject({ suppressed: true, suppressedReason: 'protects_small_cell' });
    expect(sued).toMatchObject({ suppressed: true, suppressedReason: 'protects_small_cell' });
    expectNoSmallDifference(await episodes(APRIL), nord.funnel.episodes, 'all − Nord');
    // over April and May too: April's group is part of the period
    const twoMonths = 'from=2026-04-01&to=2026-05-31';
    expect((await summary(`${twoMonths}&team=Team%20Nord`)).funnel.episodes).toBeNull();
    // May alone has no small team cell: Nord's 20 are shown, and so is the total of both months
    expect(await episodes('from=2026-05-04&to=2026-05-31&team=Team%20Nord')).toBe(20);
    expectNoSmallDifference(await episodes(twoMonths), 20, 'both months − Nord in May');
  });

  it('the total less the breakdown rows shown never leaves a small cell (team, weekday, hour, context)', async () => {
    const total = (await episodes(APRIL))!;
    for (const by of ['team', 'weekday', 'hour', 'context'] as const) {
      const b = await get<StatsBreakdown>(`/api/stats/breakdown?${APRIL}&by=${by}`);
      const shown = b.rows.reduce((s, r) => s + (r.episodes ?? 0), 0);
      expectNoSmallDifference(total, shown, `total − rows by ${by}`);
      // and no single filtered summary adds what the rows hide
      for (const r of b.rows) {
        const filtered = await episodes(`${APRIL}&${by}=${encodeURIComponent(r.key)}`);
        expect(filtered, `${by}=${r.key}`).toBe(r.episodes);
      }
    }
    const hours = await get<StatsBreakdown>(`/api/stats/breakdown?${APRIL}&by=hour`);
    expect(hours.rows.find((r) => r.key === '3')).toMatchObject({
      episodes: null,
      suppressed: 'protects_small_cell',
    });
  });

  it('the weekly series against the summary: weeks shown never leave a small remainder', async () => {
    for (const q of [APRIL, 'from=2026-05-04&to=2026-05-31', 'from=2026-04-01&to=2026-05-31']) {
      const [s, series] = await Promise.all([summary(q), get<StatsSeries>(`/api/stats/series?${q}`)]);
      const shown = series.points.reduce((n, p) => n + (p.episodes ?? 0), 0);
      expectNoSmallDifference(s.funnel.episodes, shown, `summary − weeks of ${q}`);
    }
    // May: the weeks of 18 and 25 May (6 and 2) are hidden together
    const may = await get<StatsSeries>('/api/stats/series?from=2026-05-04&to=2026-05-31');
    expect(may.points.map((p) => [p.weekStart, p.episodes, p.suppressed])).toEqual([
      ['2026-05-04', 6, null],
      ['2026-05-11', 6, null],
      ['2026-05-18', null, 'protects_small_cell'],
      ['2026-05-25', null, 'protects_small_cell'],
    ]);
    // under a filter the series is by month, protected like the summary
    const nord = await get<StatsSeries>(`/api/stats/series?${APRIL}&team=Team%20Nord`);
    expect(nord.bin).toBe('month');
    expect(nord.points.map((p) => p.episodes)).toEqual([null]);
  });

  it('the CSV export against the summary and against a filtered CSV', async () => {
    const rows = (csv: string) =>
      csv
        .trim()
        .split('\r\n')
        .slice(1)
        .map((l) => l.split(','));
    const num = (s: string | undefined) => (s === '' || s === undefined ? null : Number(s));
    const all = rows(await get<string>(`/api/stats/export.csv?${APRIL}`));
    const nord = rows(await get<string>(`/api/stats/export.csv?${APRIL}&team=Team%20Nord`));
    expect(num(all[0]![1])).toBe(await episodes(APRIL));
    expect(num(nord[0]![1])).toBeNull();
    const weeks = all.slice(1).reduce((s, r) => s + (num(r[1]) ?? 0), 0);
    expectNoSmallDifference(num(all[0]![1]), weeks, 'CSV total − CSV weeks');
    for (const r of nord) expectNoSmallDifference(num(all[0]![1]), num(r[1]), 'CSV all − CSV Nord');
  });

  it('the heat map shows no cell that the total (or a filter) would turn into the small one', async () => {
    const heat = await get<StatsHeatmap>(`/api/stats/heatmap?${APRIL}`);
    const shown = heat.cells.reduce((s, c) => s + c.episodes, 0);
    expectNoSmallDifference(await episodes(APRIL), shown, 'total − cells');
    expect(heat.cells).toEqual([]); // Nord's one cell is the complement of Süd's
    expect(heat.suppressedEpisodes).toBe(32);
    const filtered = await get<StatsHeatmap>(`/api/stats/heatmap?${APRIL}&team=Team%20Nord`);
    expect(filtered).toMatchObject({ cells: [], suppressedEpisodes: null, suppressed: 'combined_filters' });
    const may = await get<StatsHeatmap>('/api/stats/heatmap?from=2026-05-04&to=2026-05-31');
    expect(may.cells.map((c) => c.episodes)).toEqual([20]);
  });

  it('refuses combined filters, which would cut a small cell out of two large ones', async () => {
    const res = await fetch(`${stack.url}/api/stats/summary?${APRIL}&team=Team%20Nord&weekday=2`, {
      headers: { cookie },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/one of team, context, weekday or hour/);
  });
});

describe('§ 76 BDSG: baseline writes and exports are audit entries (issue 11)', () => {
  const entries = async (action: string) =>
    (
      await stack.db.pool.query<{ actor: string; target: string | null; payload: Record<string, unknown> }>(
        'SELECT actor, target, payload FROM audit_log WHERE tenant_id = $1 AND action = $2 ORDER BY seq',
        [tenantId, action],
      )
    ).rows;

  it('[AUD8] a baseline period created and deleted is in the audit chain', async () => {
    const res = await fetch(`${stack.url}/api/baselines`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', origin: stack.url },
      body: JSON.stringify({
        label: 'Vorjahr',
        startsOn: '2025-04-01',
        endsOn: '2026-03-31',
        officerHours: 20_000,
        assaults: 30,
      }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    expect(await entries('baseline_created')).toEqual([
      {
        actor: 'pruefstadt.evaluator',
        target: `baseline:${id}`,
        payload: {
          label: 'Vorjahr',
          startsOn: '2025-04-01',
          endsOn: '2026-03-31',
          officerHours: 20_000,
          assaults: 30,
        },
      },
    ]);
    const del = await fetch(`${stack.url}/api/baselines/${id}`, {
      method: 'DELETE',
      headers: { cookie, origin: stack.url },
    });
    expect(del.status).toBe(204);
    expect(await entries('baseline_deleted')).toEqual([
      { actor: 'pruefstadt.evaluator', target: `baseline:${id}`, payload: { label: 'Vorjahr' } },
    ]);
  });

  it('[AUD3][AUD8] a CSV export and a printable report are each one audit entry with the period', async () => {
    const before = (await entries('stats_exported')).length;
    await get<string>(`/api/stats/export.csv?${APRIL}&team=Team%20Nord`);
    const report = await get<StatsReport>(`/api/stats/report?${APRIL}`);
    expect(report.summary.funnel.episodes).toBe(32);
    expect(report.series.points).toHaveLength(5);
    const after = await entries('stats_exported');
    expect(after.slice(before)).toEqual([
      {
        actor: 'pruefstadt.evaluator',
        target: null,
        payload: { format: 'csv', query: { from: '2026-03-30', to: '2026-05-03', team: 'Team Nord' } },
      },
      {
        actor: 'pruefstadt.evaluator',
        target: null,
        payload: { format: 'report', query: { from: '2026-03-30', to: '2026-05-03' } },
      },
    ]);
  });
});
