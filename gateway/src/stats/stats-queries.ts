/**
 * The evaluator's figures, straight from `episodes` (closed ones only) and the hourly
 * `officer_hours` roll-up plus open shifts up to now. Each view is one or two aggregate queries over
 * indexed columns; no per-person column ever leaves here, and every cell below MIN_CELL episodes is
 * returned as null. What became of the recordings (kept as evidence, deleted, still within retention)
 * comes from `recordings` as counts per state, with its own gate of MIN_CELL recordings.
 */
import type {
  BaselineComparison,
  BreakdownDimension,
  RetentionFigures,
  RetentionSummary,
  SeriesPoint,
  StatsBreakdown,
  StatsHeatmap,
  StatsQuery,
  StatsSeries,
  StatsSummary,
} from '@lagebild/protocol';
import {
  DEFAULT_QUIET_MS,
  GRID_LAT_DEG,
  GRID_LNG_DEG,
  MIN_CELL,
  per1000Hours,
  type RecordingGroup,
  rateRatio,
  retentionFigures,
  suppress,
  tallyRecordings,
  wilson,
} from '@lagebild/stats';
import type pg from 'pg';

interface Where {
  sql: string;
  params: unknown[];
}

/** WHERE clause for episodes; `context` applies to episodes only (officer-hours have none). */
function episodeWhere(tenantId: string, q: StatsQuery): Where {
  const params: unknown[] = [tenantId, q.from, q.to];
  const parts = ['tenant_id = $1', 'closed', 'local_day BETWEEN $2 AND $3'];
  if (q.team !== undefined) parts.push(`team = $${params.push(q.team)}`);
  if (q.context === 'unreported') parts.push('context IS NULL');
  else if (q.context !== undefined) parts.push(`context = $${params.push(q.context)}::"IncidentContext"`);
  if (q.weekday !== undefined) parts.push(`local_weekday = $${params.push(q.weekday)}`);
  if (q.hour !== undefined) parts.push(`local_hour = $${params.push(q.hour)}`);
  return { sql: parts.join(' AND '), params };
}

function hoursWhere(q: StatsQuery, first: number, alias: string): Where {
  const params: unknown[] = [];
  const parts: string[] = [];
  const p = (v: unknown) => `$${first + params.push(v) - 1}`;
  parts.push(`${alias}.local_day BETWEEN ${p(q.from)} AND ${p(q.to)}`);
  if (q.team !== undefined) parts.push(`${alias}.team = ${p(q.team)}`);
  if (q.weekday !== undefined) parts.push(`${alias}.local_weekday = ${p(q.weekday)}`);
  if (q.hour !== undefined) parts.push(`${alias}.local_hour = ${p(q.hour)}`);
  return { sql: parts.join(' AND '), params };
}

/** Officer-hours per local week (or one total under the key 'all'), ended and open shifts. */
async function officerHours(
  pool: pg.Pool,
  tenantId: string,
  q: StatsQuery,
  byWeek: boolean,
): Promise<Map<string, number>> {
  const closed = hoursWhere(q, 2, 'o');
  const open = hoursWhere(q, 2 + closed.params.length, 's');
  const key = byWeek ? "to_char(local_week, 'YYYY-MM-DD')" : "'all'";
  const { rows } = await pool.query<{ k: string; seconds: number }>(
    `SELECT k, sum(seconds)::float8 AS seconds FROM (
       SELECT ${key.replace('local_week', 'o.local_week')} AS k, o.seconds FROM officer_hours o
        WHERE o.tenant_id = $1 AND ${closed.sql}
       UNION ALL
       SELECT ${key.replace('local_week', 's.local_week')} AS k, s.seconds
         FROM shifts sh JOIN units u ON u.id = sh.unit_id,
              lagebild_hour_slices(sh.started_at, now()) s
        WHERE sh.tenant_id = $1 AND sh.ended_at IS NULL AND ${open.sql.replace(/s\.team/g, 'u.team')}
     ) x GROUP BY k`,
    [tenantId, ...closed.params, ...open.params],
  );
  return new Map(rows.map((r) => [r.k, r.seconds / 3600]));
}

/** Seconds either side of an episode within which a recording's start still belongs to it. */
const EPISODE_SLACK_S = 120;

/**
 * Recordings of the selection grouped by state, class and early deletion (per local week of their
 * start, or one group under 'all'). Period, weekday and hour by the start in local time; team by the
 * unit the recording was made under; context through the camera's episode containing the moment
 * the camera was switched to recording (start + pre-recording seconds). Only counts leave here.
 */
async function recordingGroups(
  pool: pg.Pool,
  tenantId: string,
  q: StatsQuery,
  byWeek: boolean,
): Promise<Map<string, RecordingGroup[]>> {
  const params: unknown[] = [tenantId, q.from, q.to];
  const p = (v: unknown) => `$${params.push(v)}`;
  const local = "(r.started_at AT TIME ZONE 'Europe/Berlin')";
  const where = [
    'r.tenant_id = $1',
    "r.started_at >= ($2::date::timestamp AT TIME ZONE 'Europe/Berlin')",
    "r.started_at < (($3::date + 1)::timestamp AT TIME ZONE 'Europe/Berlin')",
  ];
  const joins: string[] = [];
  if (q.team !== undefined) {
    joins.push('JOIN units u ON u.id = r.unit_id');
    where.push(`u.team = ${p(q.team)}`);
  }
  if (q.context !== undefined) {
    joins.push(`JOIN LATERAL (
        SELECT e.context FROM episodes e
         WHERE e.device_id = r.device_id AND e.tenant_id = r.tenant_id
           AND e.started_at <= r.started_at + make_interval(secs => r.prerecord_s + ${EPISODE_SLACK_S})
           AND (e.ended_at IS NULL
                OR e.ended_at >= r.started_at + make_interval(secs => r.prerecord_s - ${EPISODE_SLACK_S}))
         ORDER BY abs(extract(epoch FROM e.started_at - r.started_at) - r.prerecord_s)
         LIMIT 1) ep ON true`);
    where.push(
      q.context === 'unreported' ? 'ep.context IS NULL' : `ep.context = ${p(q.context)}::"IncidentContext"`,
    );
  }
  if (q.weekday !== undefined) where.push(`extract(isodow FROM ${local}) = ${p(q.weekday)}`);
  if (q.hour !== undefined) where.push(`extract(hour FROM ${local}) = ${p(q.hour)}`);
  const key = byWeek ? `to_char(date_trunc('week', ${local}), 'YYYY-MM-DD')` : "'all'";
  const { rows } = await pool.query<{
    k: string;
    state: RecordingGroup['state'];
    retention: RecordingGroup['retention'];
    early: boolean;
    n: number;
  }>(
    `SELECT ${key} AS k, r.state::text AS state, r.retention::text AS retention,
            (r.state = 'deleted' AND EXISTS (
               SELECT 1 FROM recording_approvals a
                WHERE a.recording_id = r.id AND a.action = 'early_deletion' AND a.state = 'approved')) AS early,
            count(*)::int AS n
       FROM recordings r ${joins.join(' ')}
      WHERE ${where.join(' AND ')}
      GROUP BY 1, 2, 3, 4`,
    params,
  );
  const out = new Map<string, RecordingGroup[]>();
  for (const r of rows) {
    const list = out.get(r.k) ?? [];
    list.push({ state: r.state, retention: r.retention, earlyDeletion: r.early, n: r.n });
    out.set(r.k, list);
  }
  return out;
}

function retentionSummary(groups: readonly RecordingGroup[]): RetentionSummary {
  const counts = tallyRecordings(groups);
  return {
    ...retentionFigures(counts),
    suppressed: counts.total < MIN_CELL,
    contextFrom: 'episode',
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

interface Counts {
  episodes: number;
  display: number;
  display_then_recording: number;
  direct_recording: number;
  recordings: number;
  deescalated: number;
  verbal: number;
  physical: number;
  announced: number;
  reported: number;
  d2r_median: number | null;
  d2r_p90: number | null;
}

const COUNTS_SQL = `
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
  count(report_id)::int AS reported`;

export async function statsSummary(
  pool: pg.Pool,
  tenantId: string,
  q: StatsQuery,
  quietMs = DEFAULT_QUIET_MS,
): Promise<StatsSummary> {
  const w = episodeWhere(tenantId, q);
  const [countsRes, hoursMap, baselines, recordings] = await Promise.all([
    pool.query<Counts>(
      `SELECT ${COUNTS_SQL},
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM recording_at - display_at))
           FILTER (WHERE display_first AND recording_at IS NOT NULL) AS d2r_median,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM recording_at - display_at))
           FILTER (WHERE display_first AND recording_at IS NOT NULL) AS d2r_p90
       FROM episodes WHERE ${w.sql}`,
      w.params,
    ),
    officerHours(pool, tenantId, q, false),
    pool.query<BaselineRow>(
      'SELECT id, label, officer_hours, assaults FROM baseline_periods WHERE tenant_id = $1 ORDER BY starts_on',
      [tenantId],
    ),
    recordingGroups(pool, tenantId, q, false),
  ]);
  return buildSummary(
    q,
    quietMs,
    countsRes.rows[0]!,
    hoursMap.get('all') ?? 0,
    baselines.rows,
    recordings.get('all') ?? [],
  );
}

interface BaselineRow {
  id: string;
  label: string;
  officer_hours: number;
  assaults: number;
}

function buildSummary(
  q: StatsQuery,
  quietMs: number,
  c: Counts,
  hours: number,
  baselines: BaselineRow[],
  recordings: readonly RecordingGroup[],
): StatsSummary {
  const base = {
    query: q,
    quietSeconds: quietMs / 1000,
    minCell: MIN_CELL,
    officerHours: round2(hours),
    retention: retentionSummary(recordings),
  };
  if (c.episodes < MIN_CELL) {
    return {
      ...base,
      suppressed: true,
      funnel: { episodes: null, display: null, displayThenRecording: null, directRecording: null },
      deescalation: null,
      recordings: null,
      recordingsPer1000h: null,
      assaults: null,
      assaultsPer1000h: null,
      displayToRecording: null,
      announcedShare: null,
      reportsFiledShare: null,
      comparisons: [],
    };
  }
  const proportion = (successes: number, n: number) => {
    const w = n >= MIN_CELL ? wilson(successes, n) : null;
    return w ? { ...w, successes, n } : null;
  };
  const assaults = c.verbal + c.physical;
  const comparisons: BaselineComparison[] = baselines.map((b) => ({
    baselineId: b.id,
    label: b.label,
    baselineAssaults: b.assaults,
    baselineOfficerHours: b.officer_hours,
    baselinePer1000h: per1000Hours(b.assaults, b.officer_hours)!,
    pilotAssaults: assaults,
    pilotOfficerHours: round2(hours),
    pilotPer1000h: per1000Hours(assaults, hours),
    rateRatio: rateRatio(assaults, hours, b.assaults, b.officer_hours),
  }));
  return {
    ...base,
    suppressed: false,
    funnel: {
      episodes: c.episodes,
      display: c.display,
      displayThenRecording: c.display_then_recording,
      directRecording: c.direct_recording,
    },
    deescalation: proportion(c.deescalated, c.display),
    recordings: c.recordings,
    recordingsPer1000h: per1000Hours(c.recordings, hours),
    assaults: { verbal: c.verbal, physical: c.physical },
    assaultsPer1000h: per1000Hours(assaults, hours),
    displayToRecording:
      c.display_then_recording >= MIN_CELL && c.d2r_median !== null && c.d2r_p90 !== null
        ? { medianS: c.d2r_median, p90S: c.d2r_p90, n: c.display_then_recording }
        : null,
    announcedShare: proportion(c.announced, c.recordings),
    reportsFiledShare: c.reported / c.episodes,
    comparisons,
  };
}

/** Mondays from the week of `from` to the week of `to`. */
export function weeksBetween(from: string, to: string): string[] {
  const monday = (day: string) => {
    const d = new Date(`${day}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
    return d;
  };
  const out: string[] = [];
  for (const d = monday(from); d <= monday(to); d.setUTCDate(d.getUTCDate() + 7))
    out.push(d.toISOString().slice(0, 10));
  return out;
}

export async function statsSeries(pool: pg.Pool, tenantId: string, q: StatsQuery): Promise<StatsSeries> {
  const w = episodeWhere(tenantId, q);
  const [res, hours, recordings] = await Promise.all([
    pool.query<Counts & { week: string }>(
      `SELECT to_char(local_week, 'YYYY-MM-DD') AS week, ${COUNTS_SQL}
         FROM episodes WHERE ${w.sql} GROUP BY local_week`,
      w.params,
    ),
    officerHours(pool, tenantId, q, true),
    recordingGroups(pool, tenantId, q, true),
  ]);
  return { query: q, points: seriesPoints(q, res.rows, hours, recordings) };
}

function seriesPoints(
  q: StatsQuery,
  rows: Array<Counts & { week: string }>,
  hours: Map<string, number>,
  recordings: Map<string, RecordingGroup[]>,
): SeriesPoint[] {
  const byWeek = new Map(rows.map((r) => [r.week, r]));
  return weeksBetween(q.from, q.to).map((weekStart) => {
    const c = byWeek.get(weekStart);
    const shown = c !== undefined && c.episodes >= MIN_CELL;
    return {
      weekStart,
      episodes: shown ? c.episodes : null,
      display: shown ? c.display : null,
      recordings: shown ? c.recordings : null,
      assaults: shown ? c.verbal + c.physical : null,
      deescalationRate: shown && c.display >= MIN_CELL ? c.deescalated / c.display : null,
      officerHours: round2(hours.get(weekStart) ?? 0),
      retention: retentionFigures(tallyRecordings(recordings.get(weekStart) ?? [])),
    };
  });
}

export async function statsHeatmap(pool: pg.Pool, tenantId: string, q: StatsQuery): Promise<StatsHeatmap> {
  const w = episodeWhere(tenantId, q);
  const { rows } = await pool.query<{ row: number; col: number; n: number }>(
    `SELECT cell_row AS row, cell_col AS col, count(*)::int AS n FROM episodes
      WHERE ${w.sql} AND cell_row IS NOT NULL GROUP BY cell_row, cell_col`,
    w.params,
  );
  const shown = rows.filter((r) => suppress(r.n) !== null);
  const hidden = rows.filter((r) => suppress(r.n) === null);
  return {
    query: q,
    cellLatDeg: GRID_LAT_DEG,
    cellLngDeg: GRID_LNG_DEG,
    cells: shown
      .map((r) => ({ row: r.row, col: r.col, episodes: r.n }))
      .sort((a, b) => a.row - b.row || a.col - b.col),
    suppressedCells: hidden.length,
    suppressedEpisodes: hidden.reduce((s, r) => s + r.n, 0),
  };
}

const DIMENSION_SQL: Record<BreakdownDimension, string> = {
  team: "COALESCE(team, '')",
  context: "COALESCE(context::text, 'unreported')",
  weekday: 'local_weekday::text',
  hour: 'local_hour::text',
};

export async function statsBreakdown(
  pool: pg.Pool,
  tenantId: string,
  q: StatsQuery,
  by: BreakdownDimension,
): Promise<StatsBreakdown> {
  const w = episodeWhere(tenantId, q);
  const { rows } = await pool.query<Counts & { key: string }>(
    `SELECT ${DIMENSION_SQL[by]} AS key, ${COUNTS_SQL} FROM episodes WHERE ${w.sql} GROUP BY 1 ORDER BY 1`,
    w.params,
  );
  return {
    query: q,
    by,
    rows: rows.map((c) => {
      const shown = c.episodes >= MIN_CELL;
      return {
        key: c.key,
        episodes: shown ? c.episodes : null,
        display: shown ? c.display : null,
        recordings: shown ? c.recordings : null,
        deescalationRate: shown && c.display >= MIN_CELL ? c.deescalated / c.display : null,
      };
    }),
  };
}

export async function statsTeams(pool: pg.Pool, tenantId: string): Promise<string[]> {
  const { rows } = await pool.query<{ team: string }>(
    'SELECT DISTINCT team FROM units WHERE tenant_id = $1 ORDER BY team',
    [tenantId],
  );
  return rows.map((r) => r.team);
}

/**
 * Summary and weekly series for the CSV from one scan of the episodes: counts add up over weeks, so
 * the total row equals GET /api/stats/summary exactly (percentiles are not part of the CSV). The
 * recordings are counted per week too, and their total is the sum of the weeks.
 */
export async function statsExport(
  pool: pg.Pool,
  tenantId: string,
  q: StatsQuery,
  quietMs = DEFAULT_QUIET_MS,
): Promise<{ summary: StatsSummary; series: StatsSeries }> {
  const w = episodeWhere(tenantId, q);
  const [res, weekHours, totalHours, baselines, weekRecordings] = await Promise.all([
    pool.query<Counts & { week: string }>(
      `SELECT to_char(local_week, 'YYYY-MM-DD') AS week, ${COUNTS_SQL}
         FROM episodes WHERE ${w.sql} GROUP BY local_week`,
      w.params,
    ),
    officerHours(pool, tenantId, q, true),
    officerHours(pool, tenantId, q, false),
    pool.query<BaselineRow>(
      'SELECT id, label, officer_hours, assaults FROM baseline_periods WHERE tenant_id = $1 ORDER BY starts_on',
      [tenantId],
    ),
    recordingGroups(pool, tenantId, q, true),
  ]);
  const total: Counts = {
    episodes: 0,
    display: 0,
    display_then_recording: 0,
    direct_recording: 0,
    recordings: 0,
    deescalated: 0,
    verbal: 0,
    physical: 0,
    announced: 0,
    reported: 0,
    d2r_median: null,
    d2r_p90: null,
  };
  for (const r of res.rows) {
    for (const k of Object.keys(total) as Array<keyof Counts>) {
      if (k !== 'd2r_median' && k !== 'd2r_p90') total[k] += r[k];
    }
  }
  return {
    summary: buildSummary(
      q,
      quietMs,
      total,
      totalHours.get('all') ?? 0,
      baselines.rows,
      [...weekRecordings.values()].flat(),
    ),
    series: { query: q, points: seriesPoints(q, res.rows, weekHours, weekRecordings) },
  };
}

const csvCell = (v: string | number | null) => {
  if (v === null) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** CSV for spreadsheets: a total row, then one row per week; suppressed cells are empty. */
export function statsCsv(summary: StatsSummary, series: StatsSeries): string {
  const header = [
    'period',
    'episodes',
    'display',
    'recordings',
    'assaults',
    'officer_hours',
    'deescalation_rate',
    'deescalation_low',
    'deescalation_high',
    'recording_files',
    'kept_as_evidence',
    'legal_hold',
    'deleted',
    'deleted_by_retention',
    'deleted_early',
    'within_retention',
  ];
  const retention = (r: RetentionFigures) => [
    r.total,
    r.kept,
    r.legalHold,
    r.deleted,
    r.deletedByRetention,
    r.deletedEarly,
    r.pending,
  ];
  const total = [
    `${summary.query.from}..${summary.query.to}`,
    summary.funnel.episodes,
    summary.funnel.display,
    summary.recordings,
    summary.assaults ? summary.assaults.verbal + summary.assaults.physical : null,
    summary.officerHours,
    summary.deescalation?.estimate ?? null,
    summary.deescalation?.low ?? null,
    summary.deescalation?.high ?? null,
    ...retention(summary.retention),
  ];
  const weeks = series.points.map((p) => [
    p.weekStart,
    p.episodes,
    p.display,
    p.recordings,
    p.assaults,
    p.officerHours,
    p.deescalationRate,
    null,
    null,
    ...retention(p.retention),
  ]);
  return `${[header, total, ...weeks].map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
