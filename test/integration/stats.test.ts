/**
 * Evaluation (issue #8) against real PostgreSQL, Redis and a gateway: status events sent by devices
 * (some of them late and out of order) become episodes, reports attach to them, and every figure of
 * the statistics API equals the value computed by hand below. A fixture tenant ("Teststadt") keeps
 * the numbers free of demo data; the demo tenants check isolation and roles.
 *
 * Fixture, Monday 2 March 2026 (CET = UTC+1), local times:
 *  D1 (Team A, shift Mon 20:00 → Tue 04:00, across midnight)
 *   E1 20:10 display → 20:11 standby                                  no report
 *   E2 21:00 display → 21:00:30 recording (announced) → 21:05 standby  physical, large_event
 *   E3 22:00 display → 22:00:20 standby · 22:00:50 display → 22:01 standby (these two arrive last,
 *      with lower seqs) · 22:01:30 display → 22:02 standby   one episode once the late events are in
 *                                                                      none, traffic_control
 *   E4 23:00 recording, unannounced (no display first) → 23:02 standby verbal, problem_district
 *   E5 23:59:30 display → Tue 00:00:40 standby (counts on Monday)      none, regulatory_offence
 *   E6 Tue 01:00 display → 01:01:30 recording (announced) → 01:03     no report
 *   E7 Tue 02:00 display → 02:00:30 standby                            verbal, other
 *  D2 (shift Mon 06:00–14:00 unit of Team B, then 14:00–22:00 a unit of Team A: a shift change)
 *   E8 13:59 display → 14:00:30 standby (belongs to Team B, the shift at its start)   no report
 *
 *  episodes 8 · display first 7 (all but E4) · de-escalated 4 (E1, E3, E5, E8) → 4/7
 *  recordings 3 (E2, E4, E6) · assaults 3 (verbal 2, physical 1) · officer-hours 8 + 8 + 8 = 24
 *
 * Recording rows (what became of them; metadata as after crypto-shredding), same day:
 *  R1–R5  D1 unit A1, 21:00:30–21:04 (in E2, large_event): evidence 2, legal hold 1, deleted by retention 2
 *  R6–R8  D1 unit A1, 23:00–23:01 (in E4, problem_district): deleted early (approved four-eyes request),
 *         2 pending (one with a rejected early-deletion request)
 *  R9–R10 D1 unit A1, Tue 01:01:30 (in E6, no report): still recording, incomplete → pending
 *  R11–R13 D2 unit B1, 13:59:30–14:00 (in E8, no report): deleted by retention 3
 *  R14    D1 no unit, Tue 23:59:50 (no episode): pending · R15 Wed 00:00:10, R16 Sun 1 March 23:00:
 *         evidence, outside the period
 *  → 14: kept 3 (legal hold 1), deleted 6 (retention 5, early 1), pending 5
 *  Duisburg: 6 evidence recordings the same evening, never counted for Teststadt
 *
 * Every period is widened to whole ISO months (issue 11: March 2026 = 2–29 March, so R15 is inside;
 * R16 is in February's), and figures that would reveal a cell below five by differencing are null
 * with a reason: the fixture's small cells (Team B's one episode, Tuesday's two, February's one
 * recording) hide their complements too. Retention figures are read over February and March then.
 */
import { randomUUID } from 'node:crypto';
import { hashPassword, provisionDevices } from '@lagebild/db';
import type {
  DeviceReportInput,
  ReportAck,
  StatsBreakdown,
  StatsHeatmap,
  StatsSeries,
  StatsSummary,
} from '@lagebild/protocol';
import { rateRatio, wilson } from '@lagebild/stats';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, login, status, type TestDevice, until } from '../src/clients.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';

let stack: Stack;
let tenantId: string;
const cookies: Record<string, string> = {};
let d1: TestDevice;
let d1Id: string;
let d2Id: string;

/** local Monday 2 March 2026 h:m:s (CET, UTC+1) as epoch ms; h ≥ 24 rolls into Tuesday */
const at = (h: number, m = 0, s = 0) => Date.UTC(2026, 2, 2, h - 1, m, s);
const RANGE = 'from=2026-03-02&to=2026-03-03';
/** February and March: R16 alone in February would otherwise be the difference to March */
const FEB_MAR = 'from=2026-02-23&to=2026-03-03';

async function api<T>(
  path: string,
  who: string,
  init: RequestInit = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.url}${path}`, {
    ...init,
    headers: { cookie: cookies[who]!, ...(init.body ? { 'content-type': 'application/json' } : {}) },
  });
  const text = await res.text();
  return {
    status: res.status,
    body: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T,
  };
}
const summary = async (q = '', range = RANGE) =>
  (await api<StatsSummary>(`/api/stats/summary?${range}${q}`, 'eval')).body;
const summaryOver = summary;
const report = (dev: TestDevice, r: DeviceReportInput) =>
  dev.socket.timeout(5000).emitWithAck('report', r) as Promise<ReportAck>;

beforeAll(async () => {
  stack = await startStack({ gateways: 1, devicesPerTenant: 2, gatewayEnv: { EPISODE_BUILD_MS: '150' } });
  const pool = stack.db.pool;
  tenantId = (
    await pool.query<{ id: string }>(
      `INSERT INTO tenants (slug, name, center_lat, center_lng) VALUES ('teststadt', 'Stadt Teststadt', 51.43, 6.76) RETURNING id`,
    )
  ).rows[0]!.id;
  const hash = await hashPassword(DEMO_PASSWORD);
  for (const role of ['evaluator', 'supervisor', 'operator'] as const) {
    await pool.query(
      `INSERT INTO users (tenant_id, username, display_name, role, password_hash) VALUES ($1, $2, $2, $3, $4)`,
      [tenantId, `teststadt.${role}`, role, hash],
    );
  }
  const [c1, c2] = await provisionDevices(pool, tenantId, ['T-01', 'T-02']);
  d1Id = c1!.deviceId;
  d2Id = c2!.deviceId;
  const units = await pool.query<{ id: string; callsign: string }>(
    `INSERT INTO units (tenant_id, callsign, team) VALUES ($1, 'A1', 'Team A'), ($1, 'A2', 'Team A'), ($1, 'B1', 'Team B')
     RETURNING id, callsign`,
    [tenantId],
  );
  const unit = (c: string) => units.rows.find((u) => u.callsign === c)!.id;
  await pool.query(
    `INSERT INTO shifts (tenant_id, unit_id, device_id, started_at, ended_at) VALUES
       ($1, $2, $5, $6, $7), ($1, $3, $8, $9, $10), ($1, $4, $8, $10, $11)`,
    [
      tenantId,
      unit('A1'),
      unit('B1'),
      unit('A2'),
      d1Id,
      new Date(at(20)),
      new Date(at(28)),
      d2Id,
      new Date(at(6)),
      new Date(at(14)),
      new Date(at(22)),
    ],
  );
  for (const who of ['evaluator', 'supervisor', 'operator']) {
    cookies[who === 'evaluator' ? 'eval' : who] = await login(stack.url, `teststadt.${who}`, DEMO_PASSWORD);
  }
  await seedRecordings(pool, { A1: unit('A1'), B1: unit('B1') });
  cookies.duEval = await login(stack.url, 'duisburg.evaluator', DEMO_PASSWORD);
  cookies.duOperator = await login(stack.url, 'duisburg.operator', DEMO_PASSWORD);
  d1 = await connectDevice(stack.url, c1!);
});

afterAll(async () => {
  d1?.close();
  await stack?.stop();
});

const pos = { lat: 51.4318, lng: 6.7626, accuracyM: 5 };
const ev = (seq: number, t: number, stage: 'standby' | 'display' | 'recording', over = {}) =>
  status(seq, {
    at: t,
    stage,
    position: pos,
    ...(stage === 'recording' ? { announced: true } : {}),
    ...over,
  });

describe('episodes from status events', () => {
  it('derives the fixture, merging an episode when late events arrive with lower seqs', async () => {
    const timeline = [
      ev(1, at(20), 'standby'),
      ev(2, at(20, 10), 'display'),
      ev(3, at(20, 11), 'standby'),
      ev(4, at(21), 'display'),
      ev(5, at(21, 0, 30), 'recording'),
      ev(6, at(21, 5), 'standby'),
      ev(7, at(22), 'display'),
      ev(8, at(22, 0, 20), 'standby'),
      // 9, 10 come last
      ev(11, at(22, 1, 30), 'display'),
      ev(12, at(22, 2), 'standby'),
      ev(13, at(23), 'recording', { announced: false, unannouncedReason: 'Gefahr im Verzug' }),
      ev(14, at(23, 2), 'standby'),
      ev(15, at(23, 59, 30), 'display'),
      ev(16, at(24, 0, 40), 'standby'),
      ev(17, at(25), 'display'),
      ev(18, at(25, 1, 30), 'recording'),
      ev(19, at(25, 3), 'standby'),
      ev(20, at(26), 'display'),
      ev(21, at(26, 0, 30), 'standby'),
      ev(22, at(28), 'standby'),
    ];
    for (const e of timeline) expect((await d1.send(e)).ok).toBe(true);
    const d2 = await connectDevice(stack.url, { deviceId: d2Id, secret: (await reissue(d2Id)).secret });
    for (const e of [
      ev(1, at(6), 'standby', { position: { lat: 51.47, lng: 6.8, accuracyM: 5 } }),
      ev(2, at(13, 59), 'display', { position: { lat: 51.47, lng: 6.8, accuracyM: 5 } }),
      ev(3, at(14, 0, 30), 'standby'),
      ev(4, at(22), 'standby'),
    ]) {
      expect((await d2.send(e)).ok).toBe(true);
    }
    d2.close();
    // before the late events: E3 is two episodes (the standby gap 22:00:20 → 22:01:30 exceeds 60 s)
    await until(async () => (await episodeCount()) === 9, 10_000, '9 episodes');
    for (const e of [ev(9, at(22, 0, 50), 'display'), ev(10, at(22, 1), 'standby')]) {
      expect(await d1.send(e)).toEqual({ ok: true, seq: e.seq, duplicate: false });
    }
    await until(async () => (await episodeCount()) === 8, 10_000, '8 episodes after the late events');
    const e3 = await stack.db.pool.query(
      'SELECT started_at, ended_at, max_stage FROM episodes WHERE device_id = $1 AND start_seq = 7',
      [d1Id],
    );
    expect(e3.rows[0]).toMatchObject({
      started_at: new Date(at(22)),
      ended_at: new Date(at(22, 2)),
      max_stage: 'display',
    });
  });

  it('[D24] files reports over the device socket, idempotently, and attaches them to their episodes', async () => {
    const reports: DeviceReportInput[] = [
      {
        reportId: randomUUID(),
        episodeAt: at(21),
        assault: 'physical',
        context: 'large_event',
        announcementGiven: true,
      },
      {
        reportId: randomUUID(),
        episodeAt: at(22),
        assault: 'none',
        context: 'traffic_control',
        announcementGiven: false,
      },
      {
        reportId: randomUUID(),
        episodeAt: at(23),
        assault: 'verbal',
        context: 'problem_district',
        announcementGiven: false,
        note: 'Beleidigung',
      },
      {
        reportId: randomUUID(),
        episodeAt: at(23, 59, 30),
        assault: 'none',
        context: 'regulatory_offence',
        announcementGiven: false,
      },
    ];
    for (const r of reports)
      expect(await report(d1, r)).toEqual({ ok: true, reportId: r.reportId, duplicate: false });
    expect(await report(d1, reports[0]!)).toEqual({
      ok: true,
      reportId: reports[0]!.reportId,
      duplicate: true,
    });
    const bad = await report(d1, { ...reports[0]!, assault: 'maybe' as 'none' });
    expect(bad).toMatchObject({ ok: false, code: 'bad_request', retry: false });
    // the web form, by the shift's supervisor, for E7
    const form = await api('/api/reports', 'supervisor', {
      method: 'POST',
      body: JSON.stringify({
        deviceId: d1Id,
        reportId: randomUUID(),
        episodeAt: at(26),
        assault: 'verbal',
        context: 'other',
        announcementGiven: true,
      }),
    });
    expect(form).toMatchObject({ status: 201, body: { matched: true, duplicate: false } });
    const attached = await stack.db.pool.query(
      'SELECT count(*)::int AS n FROM episodes WHERE tenant_id = $1 AND report_id IS NOT NULL',
      [tenantId],
    );
    expect(attached.rows[0].n).toBe(5);
  });
});

describe('statistics equal the hand-computed fixture', () => {
  it('summary: funnel, de-escalation rate with Wilson interval, rates per 1,000 officer-hours', async () => {
    const s = await summary();
    expect(s.suppressed).toBe(false);
    expect(s.officerHours).toBe(24);
    expect(s.funnel).toEqual({ episodes: 8, display: 7, displayThenRecording: 2, directRecording: 1 });
    const w = wilson(4, 7)!;
    expect(s.deescalation).toEqual({ estimate: 4 / 7, low: w.low, high: w.high, successes: 4, n: 7 });
    expect(s.deescalation!.low).toBeCloseTo(0.2504, 3); // 4/7: 0.250 – 0.842
    expect(s.deescalation!.high).toBeCloseTo(0.8416, 3);
    expect(s.recordings).toBe(3);
    expect(s.recordingsPer1000h).toBeCloseTo(125, 9);
    expect(s.assaults).toEqual({ verbal: 2, physical: 1 });
    expect(s.assaultsPer1000h).toBeCloseTo(125, 9);
    expect(s.displayToRecording).toBeNull(); // 2 < 5 episodes
    expect(s.announcedShare).toBeNull(); // 3 recordings < 5
    expect(s.reportsFiledShare).toBe(5 / 8);
  });

  it('filters by weekday and hour in local time; a weekday that would reveal a small one is hidden', async () => {
    // Monday holds six (E1–E5 and E8: the midnight episode counts on Monday), Tuesday two: the
    // total less Monday would give Tuesday away, so Monday is its complement (issue 11)
    const monday = await summary('&weekday=1');
    expect(monday).toMatchObject({ suppressed: true, suppressedReason: 'protects_small_cell' });
    expect(monday.funnel.episodes).toBeNull();
    expect(monday.officerHours).toBe(20); // D1 20:00–24:00, D2 06:00–22:00
    const late = await summary('&hour=23');
    expect(late).toMatchObject({ suppressed: true, suppressedReason: 'protects_small_cell' }); // E4, E5: 2 < 5
    expect(late.funnel.episodes).toBeNull();
    expect(late.officerHours).toBe(1);
    const by = (await api<StatsBreakdown>(`/api/stats/breakdown?${RANGE}&by=weekday`, 'eval')).body;
    expect(by.rows.map((r) => [r.key, r.episodes, r.suppressed])).toEqual([
      ['1', null, 'protects_small_cell'],
      ['2', null, 'protects_small_cell'],
    ]);
  });

  it('assigns an episode across a shift change to the team at its start and suppresses small teams', async () => {
    // Team A holds seven, Team B one (E8, by the shift at its start): 8 − 7 would give B away
    const a = await summary('&team=Team%20A');
    expect(a).toMatchObject({ suppressed: true, suppressedReason: 'protects_small_cell' });
    expect(a.officerHours).toBe(16);
    expect((await summary('&team=Team%20B')).suppressed).toBe(true);
    const hidden = { episodes: null, display: null, recordings: null, deescalationRate: null };
    const by = (await api<StatsBreakdown>(`/api/stats/breakdown?${RANGE}&by=team`, 'eval')).body;
    expect(by.rows).toEqual([
      { key: 'Team A', suppressed: 'protects_small_cell', ...hidden },
      { key: 'Team B', suppressed: 'protects_small_cell', ...hidden },
    ]);
  });

  it('series per week of the whole month, heat map on a coarse grid with small cells suppressed', async () => {
    const series = (await api<StatsSeries>(`/api/stats/series?${RANGE}`, 'eval')).body;
    expect(series.query).toMatchObject({ from: '2026-03-02', to: '2026-03-29' });
    expect(series.bin).toBe('week');
    const empty = (weekStart: string) => ({
      weekStart,
      suppressed: 'small_cell',
      episodes: null,
      display: null,
      recordings: null,
      assaults: null,
      deescalationRate: null,
      officerHours: 0,
      retention: HIDDEN_RETENTION,
    });
    expect(series.points).toEqual([
      {
        weekStart: '2026-03-02',
        suppressed: null,
        episodes: 8,
        display: 7,
        recordings: 3,
        assaults: 3,
        deescalationRate: 4 / 7,
        officerHours: 24,
        // 15 recordings, but R16 alone in the week before: 16 over Feb–Mar less this week gives it away
        retention: HIDDEN_RETENTION,
      },
      empty('2026-03-09'),
      empty('2026-03-16'),
      empty('2026-03-23'),
    ]);
    // seven episodes in one grid cell, one in another: the seven would give the one away (8 − 7)
    const heat = (await api<StatsHeatmap>(`/api/stats/heatmap?${RANGE}`, 'eval')).body;
    expect(heat.cells).toEqual([]);
    expect([heat.suppressedCells, heat.suppressedEpisodes, heat.suppressed]).toEqual([2, 8, null]);
    expect(JSON.stringify(heat)).not.toMatch(/51\.43|6\.76/);
  });

  it('compares against a baseline period with a rate ratio and its interval', async () => {
    const created = await api<{ id: string }>('/api/baselines', 'eval', {
      method: 'POST',
      body: JSON.stringify({
        label: 'Vorjahr',
        startsOn: '2025-03-01',
        endsOn: '2026-02-28',
        officerHours: 38_000,
        assaults: 46,
      }),
    });
    expect(created.status).toBe(201);
    const [cmp] = (await summary()).comparisons;
    const rr = rateRatio(3, 24, 46, 38_000)!;
    expect(cmp).toMatchObject({ label: 'Vorjahr', pilotAssaults: 3, pilotOfficerHours: 24, rateRatio: rr });
    expect(cmp!.rateRatio!.ratio).toBeCloseTo(3 / 24 / (46 / 38_000), 9);
    expect((await api('/api/baselines', 'operator', { method: 'POST', body: '{}' })).status).toBe(403);
    const del = await api(`/api/baselines/${created.body.id}`, 'duEval', { method: 'DELETE' });
    expect(del.status).toBe(404); // another tenant's baseline does not exist for Duisburg
  });

  it('exports CSV with the same numbers as the API', async () => {
    const csv = (await api<string>(`/api/stats/export.csv?${RANGE}`, 'eval')).body;
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe(
      'period,episodes,display,recordings,assaults,officer_hours,deescalation_rate,deescalation_low,deescalation_high,' +
        'recording_files,kept_as_evidence,legal_hold,deleted,deleted_by_retention,deleted_early,within_retention',
    );
    const w = wilson(4, 7)!;
    // March alone: the recordings columns are empty (February's one recording, see the series)
    expect(lines[1]).toBe(`2026-03-02..2026-03-29,8,7,3,3,24,${4 / 7},${w.low},${w.high},,,,,,,`);
    expect(lines[2]).toBe(`2026-03-02,8,7,3,3,24,${4 / 7},,,,,,,,,`);
    expect(lines.slice(3)).toEqual(
      ['2026-03-09', '2026-03-16', '2026-03-23'].map((d) => `${d},,,,,0,,,,,,,,,,`),
    );
    const wide = (await api<string>(`/api/stats/export.csv?${FEB_MAR}`, 'eval')).body.split('\r\n');
    expect(wide[1]).toBe(`2026-02-02..2026-03-29,8,7,3,3,24,${4 / 7},${w.low},${w.high},16,5,1,6,5,1,5`);
    // a team below five recordings: the recording columns are empty like any suppressed cell
    const b = (await api<string>(`/api/stats/export.csv?${RANGE}&team=Team%20B`, 'eval')).body;
    expect(b.trim().split('\r\n')[1]!.split(',').slice(9)).toEqual(['', '', '', '', '', '', '']);
  });
});

describe('recordings kept as evidence vs deleted', () => {
  it('counts the period by the local day of the start: kept, deleted by retention or early, pending', async () => {
    const s = await summary('', FEB_MAR);
    expect(s.retention).toEqual({
      ...RETENTION_ALL,
      suppressed: false,
      suppressedReason: null,
      contextFrom: 'episode',
    });
    // March alone would be Feb–Mar less R16: hidden as the complement of February's one recording
    expect((await summary()).retention).toEqual({
      ...HIDDEN_RETENTION,
      suppressed: true,
      suppressedReason: 'protects_small_cell',
      contextFrom: 'episode',
    });
    // aggregates only: no recording, device or unit ever named
    const json = JSON.stringify(s);
    for (const id of [...recordingIds, d1Id, d2Id]) expect(json).not.toContain(id);
    expect(json).not.toMatch(/A1|B1|T-0/);
  });

  it('filters by team (the unit the recording was made under), weekday and hour in local time', async () => {
    const summary = (q: string) => summaryOver(q, FEB_MAR);
    expect((await summary('&team=Team%20A')).retention).toMatchObject({
      suppressed: false,
      total: 10,
      kept: 3,
      legalHold: 1,
      deleted: 3,
      deletedByRetention: 2,
      deletedEarly: 1,
      pending: 4,
    });
    // Team B: R11–R13, three recordings, below five (hidden with R14–R16, which have no unit)
    expect((await summary('&team=Team%20B')).retention).toEqual({
      ...HIDDEN_RETENTION,
      suppressed: true,
      suppressedReason: 'protects_small_cell',
      contextFrom: 'episode',
    });
    expect((await summary('&weekday=1')).retention).toMatchObject({
      total: 11,
      kept: 3,
      deleted: 6,
      pending: 2,
    });
    expect((await summary('&weekday=2')).retention).toMatchObject({ suppressed: true, total: null }); // R9, R10, R14
    expect((await summary('&hour=21')).retention).toMatchObject({
      total: 5,
      kept: 3,
      legalHold: 1,
      deleted: 2,
    });
  });

  it('applies a context through the camera’s episode containing the recording; no episode, no context', async () => {
    const summary = (q: string) => summaryOver(q, FEB_MAR);
    expect((await summary('&context=large_event')).retention).toMatchObject({
      suppressed: false,
      total: 5,
      kept: 3,
      legalHold: 1,
      deleted: 2,
      deletedByRetention: 2,
      deletedEarly: 0,
      pending: 0,
    });
    // R9, R10 (E6) and R11–R13 (E8) have episodes without a report; R14 has no episode at all
    expect((await summary('&context=unreported')).retention).toMatchObject({
      total: 5,
      kept: 0,
      deleted: 3,
      pending: 2,
    });
    expect((await summary('&context=problem_district')).retention).toMatchObject({ suppressed: true });
  });

  it('counts per local week in the series and hides a week below five recordings and its complement', async () => {
    const s = (await api<StatsSeries>('/api/stats/series?from=2026-02-23&to=2026-03-08', 'eval')).body;
    expect(s.points.map((p) => p.weekStart)).toEqual([
      '2026-02-02',
      '2026-02-09',
      '2026-02-16',
      '2026-02-23',
      '2026-03-02',
      '2026-03-09',
      '2026-03-16',
      '2026-03-23',
    ]);
    // R16 alone in the week of 23 February; the next week (15 with R15) would give it away
    expect(s.points[3]!.retention).toEqual(HIDDEN_RETENTION);
    expect(s.points[4]!.retention).toEqual(HIDDEN_RETENTION);
    // by month under a filter: Team A's 10 recordings, all in March
    const a = (await api<StatsSeries>(`/api/stats/series?${FEB_MAR}&team=Team%20A`, 'eval')).body;
    expect(a.bin).toBe('month');
    expect(a.points.map((p) => [p.weekStart, p.retention.total])).toEqual([
      ['2026-02-02', null],
      ['2026-03-02', null],
    ]);
  });

  it("counts only the own tenant's recordings", async () => {
    const du = (await api<StatsSummary>(`/api/stats/summary?${RANGE}`, 'duEval')).body;
    expect(du.retention).toMatchObject({ suppressed: false, total: 6, kept: 6, deleted: 0, pending: 0 });
    expect((await summary('', FEB_MAR)).retention.total).toBe(16);
    expect((await api(`/api/stats/summary?${RANGE}`, 'operator')).status).toBe(403);
  });
});

describe('roles and tenants', () => {
  it('evaluators get 403 on live units and unit names, and the live socket refuses them', async () => {
    expect((await api('/api/units', 'eval')).status).toBe(403);
    expect((await api(`/api/units/${randomUUID()}`, 'eval')).status).toBe(403);
    expect((await api('/api/reports/pending', 'eval')).status).toBe(403);
    const socket = io(`${stack.url}/control`, {
      transports: ['websocket'],
      extraHeaders: { cookie: cookies.eval! },
      reconnection: false,
    });
    const err = await new Promise<Error & { data?: { code: string } }>((resolve) =>
      socket.once('connect_error', resolve),
    );
    socket.close();
    expect(err.data?.code).toBe('forbidden');
  });

  it('operators get 403 on statistics; a bad filter is a 400 naming the field', async () => {
    expect((await api(`/api/stats/summary?${RANGE}`, 'operator')).status).toBe(403);
    const bad = await api<{ error: { issues: string[] } }>(
      '/api/stats/summary?from=2026-03-09&to=2026-03-02',
      'eval',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.join(' ')).toContain('from');
  });

  it("another tenant's episodes never appear", async () => {
    const du = (await api<StatsSummary>(`/api/stats/summary?${RANGE}`, 'duEval')).body;
    expect(du.suppressed).toBe(true);
    expect(du.officerHours).toBe(0);
    const form = await api('/api/reports', 'duOperator', {
      method: 'POST',
      body: JSON.stringify({
        deviceId: d1Id,
        reportId: randomUUID(),
        episodeAt: at(20, 10),
        assault: 'none',
        context: 'other',
        announcementGiven: false,
      }),
    });
    expect(form.status).toBe(404);
  });
});

async function episodeCount(): Promise<number> {
  const r = await stack.db.pool.query(
    'SELECT count(*)::int AS n FROM episodes WHERE tenant_id = $1 AND closed',
    [tenantId],
  );
  return r.rows[0].n;
}

async function reissue(deviceId: string) {
  const [c] = await provisionDevices(stack.db.pool, tenantId, ['T-02']);
  if (c!.deviceId !== deviceId) throw new Error('unexpected device');
  return c!;
}

/** February and March (R15 and R16 too) */
const RETENTION_ALL = {
  total: 16,
  kept: 5,
  legalHold: 1,
  deleted: 6,
  deletedByRetention: 5,
  deletedEarly: 1,
  pending: 5,
};
/** Every retention figure hidden (null). */
const HIDDEN_RETENTION = Object.fromEntries(Object.keys(RETENTION_ALL).map((k) => [k, null]));
const recordingIds: string[] = [];

/** The recording rows of the fixture (see the top), as the recorder, retention and four-eyes leave them. */
async function seedRecordings(pool: Stack['db']['pool'], units: { A1: string; B1: string }): Promise<void> {
  const users = await pool.query<{ id: string; role: string }>(
    `SELECT id, role::text FROM users WHERE tenant_id = $1`,
    [tenantId],
  );
  const user = (role: string) => users.rows.find((u) => u.role === role)!.id;
  type Fate = 'evidence' | 'legal_hold' | 'retention' | 'early' | 'pending' | 'recording' | 'incomplete';
  const add = async (tenant: string, device: string, unit: string | null, startedAt: number, fate: Fate) => {
    const id = randomUUID();
    recordingIds.push(id);
    const held = fate === 'evidence' || fate === 'legal_hold';
    const deleted = fate === 'retention' || fate === 'early';
    const state = deleted ? 'deleted' : fate === 'recording' || fate === 'incomplete' ? fate : 'complete';
    await pool.query(
      `INSERT INTO recordings (id, tenant_id, device_id, unit_id, started_at, stopped_at, state, retention,
         retention_reason, case_reference, delete_at, deleted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::"RecordingState", $8::"RetentionClass", $9, $10, $11, $12)`,
      [
        id,
        tenant,
        device,
        unit,
        new Date(startedAt),
        fate === 'recording' ? null : new Date(startedAt + 30_000),
        state,
        held ? fate : 'standard',
        held ? 'Anzeige wegen Widerstand' : null,
        held ? 'StA 1 Js 2/26' : null,
        // pending ones far from due, so no sweeper touches them during the test
        held || deleted ? null : new Date(Date.now() + 30 * 86_400_000),
        deleted ? new Date(startedAt + 86_400_000) : null,
      ],
    );
    return id;
  };
  const approval = (recordingId: string, state: 'approved' | 'rejected') =>
    pool.query(
      `INSERT INTO recording_approvals (tenant_id, recording_id, action, reason, requested_by, state, decided_by, decided_at)
       VALUES ($1, $2, 'early_deletion', 'versehentlich ausgelöst', $3, $4, $5, now())`,
      [tenantId, recordingId, user('operator'), state, user('supervisor')],
    );
  const fates: Fate[] = ['evidence', 'evidence', 'legal_hold', 'retention', 'retention'];
  for (const [i, fate] of fates.entries())
    await add(tenantId, d1Id, units.A1, at(21, i, i === 0 ? 30 : 0), fate);
  await approval(await add(tenantId, d1Id, units.A1, at(23), 'early'), 'approved');
  await approval(await add(tenantId, d1Id, units.A1, at(23, 0, 30), 'pending'), 'rejected');
  await add(tenantId, d1Id, units.A1, at(23, 1), 'pending');
  await add(tenantId, d1Id, units.A1, at(25, 1, 30), 'recording');
  await add(tenantId, d1Id, units.A1, at(25, 1, 40), 'incomplete');
  for (const t of [at(13, 59, 30), at(13, 59, 40), at(14)])
    await add(tenantId, d2Id, units.B1, t, 'retention');
  await add(tenantId, d1Id, null, at(47, 59, 50), 'pending');
  await add(tenantId, d1Id, null, at(48, 0, 10), 'evidence');
  await add(tenantId, d1Id, null, at(-1), 'evidence');
  const duisburg = stack.tenants.find((t) => t.slug === 'duisburg')!;
  for (let i = 0; i < 6; i++)
    await add(duisburg.id, duisburg.devices[0]!.deviceId, null, at(21, i), 'evidence');
}
