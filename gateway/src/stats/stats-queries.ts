/**
 * The evaluator's figures, straight from `episodes` (closed ones only) and the hourly
 * `officer_hours` roll-up plus open shifts up to now. Each view is one or two aggregate queries over
 * indexed columns; no per-person column ever leaves here. Every period is widened to whole ISO
 * months, and a figure is shown only when the disclosure control of @lagebild/stats allows it: not
 * below MIN_CELL, and not computable into a smaller cell by differencing with any other answer
 * (threat model and method: packages/stats/src/disclosure-control.ts). For that, each view also
 * counts the tenant's whole history per week and value of the dimension in use. What became of the
 * recordings (kept as evidence, deleted, still within retention) comes from `recordings` as counts
 * per state, under the same control with recordings as the unit.
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
  type Atom,
  buildProtection,
  DEFAULT_QUIET_MS,
  GRID_LAT_DEG,
  GRID_LNG_DEG,
  MIN_CELL,
  type Protection,
  per1000Hours,
  periodMonths,
  periodVerdict,
  type RecordingGroup,
  rateRatio,
  retentionFigures,
  type Suppression,
  snapPeriod,
  tallyRecordings,
  weeksOfMonth,
  weekVerdict,
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

/** The dimensions whose values the disclosure control groups: the filters plus the heat map's grid cell. */
type Dimension = BreakdownDimension | 'cell';

/** The query's one filter as dimension and value (the value as the atoms spell it), if any. */
export function filterOf(q: StatsQuery): { dim: BreakdownDimension; value: string } | null {
  if (q.team !== undefined) return { dim: 'team', value: q.team };
  if (q.context !== undefined) return { dim: 'context', value: q.context };
  if (q.weekday !== undefined) return { dim: 'weekday', value: String(q.weekday) };
  if (q.hour !== undefined) return { dim: 'hour', value: String(q.hour) };
  return null;
}

/** The query with its period widened to whole ISO months (what every answer is about). */
export function snapQuery(q: StatsQuery): StatsQuery {
  return { ...q, ...snapPeriod(q.from, q.to) };
}

const EPISODE_VALUE: Record<Dimension, string> = {
  team: "COALESCE(team, '')",
  context: "COALESCE(context::text, 'unreported')",
  weekday: 'local_weekday::text',
  hour: 'local_hour::text',
  cell: "COALESCE(cell_row::text || ':' || cell_col::text, 'none')",
};

/** The tenant's closed episodes per week and value of `dim`, over its whole history. */
async function episodeProtection(
  pool: pg.Pool,
  tenantId: string,
  dim: Dimension | null,
): Promise<Protection> {
  const { rows } = await pool.query<Atom>(
    `SELECT to_char(local_week, 'YYYY-MM-DD') AS week, ${dim ? EPISODE_VALUE[dim] : "''"} AS value,
            count(*)::int AS n
       FROM episodes WHERE tenant_id = $1 AND closed GROUP BY 1, 2`,
    [tenantId],
  );
  return buildProtection(rows);
}

/** Seconds either side of an episode within which a recording's start still belongs to it. */
const EPISODE_SLACK_S = 120;
const LOCAL_START = "(r.started_at AT TIME ZONE 'Europe/Berlin')";
/** The camera's episode containing the moment it was switched to recording (nearest one). */
const RECORDING_EPISODE = `LATERAL (
        SELECT e.context, true AS found FROM episodes e
         WHERE e.device_id = r.device_id AND e.tenant_id = r.tenant_id
           AND e.started_at <= r.started_at + make_interval(secs => r.prerecord_s + ${EPISODE_SLACK_S})
           AND (e.ended_at IS NULL
                OR e.ended_at >= r.started_at + make_interval(secs => r.prerecord_s - ${EPISODE_SLACK_S}))
         ORDER BY abs(extract(epoch FROM e.started_at - r.started_at) - r.prerecord_s)
         LIMIT 1) ep`;

/**
 * The tenant's recordings per week and value of `dim`, over its whole history. Recordings a filter
 * cannot reach (no unit, no episode) get a value of their own that no filter names, so they count
 * in the totals without ever being shown apart.
 */
async function recordingProtection(
  pool: pg.Pool,
  tenantId: string,
  dim: BreakdownDimension | null,
): Promise<Protection> {
  const value: Record<BreakdownDimension, { join: string; sql: string }> = {
    team: { join: 'LEFT JOIN units u ON u.id = r.unit_id', sql: "COALESCE(u.team, '')" },
    context: {
      join: `LEFT JOIN ${RECORDING_EPISODE} ON true`,
      sql: "CASE WHEN ep.found THEN COALESCE(ep.context::text, 'unreported') ELSE '' END",
    },
    weekday: { join: '', sql: `extract(isodow FROM ${LOCAL_START})::int::text` },
    hour: { join: '', sql: `extract(hour FROM ${LOCAL_START})::int::text` },
  };
  const v = dim ? value[dim] : { join: '', sql: "''" };
  const { rows } = await pool.query<Atom>(
    `SELECT to_char(date_trunc('week', ${LOCAL_START}), 'YYYY-MM-DD') AS week, ${v.sql} AS value,
            count(*)::int AS n
       FROM recordings r ${v.join} WHERE r.tenant_id = $1 GROUP BY 1, 2`,
    [tenantId],
  );
  return buildProtection(rows);
}

/** Both controls of a query: episodes and recordings, for the query's filter dimension. */
interface Control {
  q: StatsQuery;
  months: string[];
  filter: { dim: BreakdownDimension; value: string } | null;
  episodes: Protection;
  recordings: Protection;
}

async function control(pool: pg.Pool, tenantId: string, raw: StatsQuery): Promise<Control> {
  const q = snapQuery(raw);
  const filter = filterOf(q);
  const [episodes, recordings] = await Promise.all([
    episodeProtection(pool, tenantId, filter?.dim ?? null),
    recordingProtection(pool, tenantId, filter?.dim ?? null),
  ]);
  return { q, months: periodMonths(q.from, q.to), filter, episodes, recordings };
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
  const local = LOCAL_START;
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
    joins.push(`JOIN ${RECORDING_EPISODE} ON true`);
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

const HIDDEN_RETENTION: RetentionFigures = {
  total: null,
  kept: null,
  legalHold: null,
  deleted: null,
  deletedByRetention: null,
  deletedEarly: null,
  pending: null,
};

/** The retention figures of some recordings, or all null when `reason` says they may not be shown. */
function shownRetention(groups: readonly RecordingGroup[], reason: Suppression | null): RetentionFigures {
  return reason === null ? retentionFigures(tallyRecordings(groups)) : HIDDEN_RETENTION;
}

function retentionSummary(ctl: Control, groups: readonly RecordingGroup[]): RetentionSummary {
  const total = tallyRecordings(groups).total;
  const reason = periodVerdict(ctl.recordings, ctl.months, total, ctl.filter?.value);
  return {
    ...shownRetention(groups, reason),
    suppressed: reason !== null,
    suppressedReason: reason,
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
  raw: StatsQuery,
  quietMs = DEFAULT_QUIET_MS,
): Promise<StatsSummary> {
  const ctl = await control(pool, tenantId, raw);
  const w = episodeWhere(tenantId, ctl.q);
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
    officerHours(pool, tenantId, ctl.q, false),
    pool.query<BaselineRow>(
      'SELECT id, label, officer_hours, assaults FROM baseline_periods WHERE tenant_id = $1 ORDER BY starts_on',
      [tenantId],
    ),
    recordingGroups(pool, tenantId, ctl.q, false),
  ]);
  return buildSummary(
    ctl,
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
  ctl: Control,
  quietMs: number,
  c: Counts,
  hours: number,
  baselines: BaselineRow[],
  recordings: readonly RecordingGroup[],
): StatsSummary {
  const reason = periodVerdict(ctl.episodes, ctl.months, c.episodes, ctl.filter?.value);
  const base = {
    query: ctl.q,
    quietSeconds: quietMs / 1000,
    minCell: MIN_CELL,
    officerHours: round2(hours),
    retention: retentionSummary(ctl, recordings),
  };
  if (reason !== null) {
    return {
      ...base,
      suppressed: true,
      suppressedReason: reason,
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
    suppressedReason: null,
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

/**
 * Per week without a filter; per ISO month under a filter, as a filter's value is protected per
 * month block (a week of one team is too small a cell far too often to be worth showing).
 */
export async function statsSeries(pool: pg.Pool, tenantId: string, raw: StatsQuery): Promise<StatsSeries> {
  const ctl = await control(pool, tenantId, raw);
  const w = episodeWhere(tenantId, ctl.q);
  const [res, hours, recordings] = await Promise.all([
    pool.query<Counts & { week: string }>(
      `SELECT to_char(local_week, 'YYYY-MM-DD') AS week, ${COUNTS_SQL}
         FROM episodes WHERE ${w.sql} GROUP BY local_week`,
      w.params,
    ),
    officerHours(pool, tenantId, ctl.q, true),
    recordingGroups(pool, tenantId, ctl.q, true),
  ]);
  return {
    query: ctl.q,
    bin: ctl.filter ? 'month' : 'week',
    points: seriesPoints(ctl, res.rows, hours, recordings),
  };
}

const ZERO: Counts = {
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

/** Counts of several weeks added up (percentiles do not add; they stay null). */
function addCounts(rows: readonly (Counts | undefined)[]): Counts {
  const total = { ...ZERO };
  for (const r of rows) {
    if (r === undefined) continue;
    for (const k of Object.keys(total) as Array<keyof Counts>) {
      if (k !== 'd2r_median' && k !== 'd2r_p90') total[k] += r[k];
    }
  }
  return total;
}

function seriesPoints(
  ctl: Control,
  rows: Array<Counts & { week: string }>,
  hours: Map<string, number>,
  recordings: Map<string, RecordingGroup[]>,
): SeriesPoint[] {
  const byWeek = new Map(rows.map((r) => [r.week, r]));
  const bins = ctl.filter
    ? ctl.months.map((m) => ({ start: weeksOfMonth(m)[0]!, weeks: weeksOfMonth(m), months: [m] }))
    : weeksBetween(ctl.q.from, ctl.q.to).map((wk) => ({ start: wk, weeks: [wk], months: null }));
  return bins.map(({ start, weeks, months }) => {
    const c = addCounts(weeks.map((wk) => byWeek.get(wk)));
    const groups = weeks.flatMap((wk) => recordings.get(wk) ?? []);
    const recordingTotal = tallyRecordings(groups).total;
    const reason = months
      ? periodVerdict(ctl.episodes, months, c.episodes, ctl.filter?.value)
      : weekVerdict(ctl.episodes, start, c.episodes);
    const recordingReason = months
      ? periodVerdict(ctl.recordings, months, recordingTotal, ctl.filter?.value)
      : weekVerdict(ctl.recordings, start, recordingTotal);
    const shown = reason === null;
    return {
      weekStart: start,
      suppressed: reason,
      episodes: shown ? c.episodes : null,
      display: shown ? c.display : null,
      recordings: shown ? c.recordings : null,
      assaults: shown ? c.verbal + c.physical : null,
      deescalationRate: shown && c.display >= MIN_CELL ? c.deescalated / c.display : null,
      officerHours: round2(weeks.reduce((sum, wk) => sum + (hours.get(wk) ?? 0), 0)),
      retention: shownRetention(groups, recordingReason),
    };
  });
}

/**
 * Grid cells as one more dimension of the disclosure control: a cell is shown when it is no small
 * cell and no complement of one in any month block of the period. Under a filter the map would be
 * a cross table of two dimensions, which the control does not protect: not shown then.
 */
export async function statsHeatmap(pool: pg.Pool, tenantId: string, raw: StatsQuery): Promise<StatsHeatmap> {
  const q = snapQuery(raw);
  const empty = { query: q, cellLatDeg: GRID_LAT_DEG, cellLngDeg: GRID_LNG_DEG };
  if (filterOf(q) !== null) {
    return {
      ...empty,
      cells: [],
      suppressedCells: 0,
      suppressedEpisodes: null,
      suppressed: 'combined_filters',
    };
  }
  const months = periodMonths(q.from, q.to);
  const w = episodeWhere(tenantId, q);
  const [res, prot] = await Promise.all([
    pool.query<{ key: string; row: number | null; col: number | null; n: number }>(
      `SELECT ${EPISODE_VALUE.cell} AS key, cell_row AS row, cell_col AS col, count(*)::int AS n FROM episodes
        WHERE ${w.sql} GROUP BY cell_row, cell_col`,
      w.params,
    ),
    episodeProtection(pool, tenantId, 'cell'),
  ]);
  const placed = res.rows.filter((r) => r.row !== null && r.col !== null);
  const shown = placed.filter((r) => periodVerdict(prot, months, r.n, r.key) === null);
  const all = res.rows.reduce((s, r) => s + r.n, 0);
  const hidden = placed.reduce((s, r) => s + r.n, 0) - shown.reduce((s, r) => s + r.n, 0);
  return {
    ...empty,
    cells: shown
      .map((r) => ({ row: r.row!, col: r.col!, episodes: r.n }))
      .sort((a, b) => a.row - b.row || a.col - b.col),
    suppressedCells: placed.length - shown.length,
    // the placed total is part of the period's total: shown only when that is
    suppressedEpisodes: periodVerdict(prot, months, all) === null ? hidden : null,
    suppressed: null,
  };
}

const DIMENSION_SQL: Record<BreakdownDimension, string> = {
  team: EPISODE_VALUE.team,
  context: EPISODE_VALUE.context,
  weekday: EPISODE_VALUE.weekday,
  hour: EPISODE_VALUE.hour,
};

export async function statsBreakdown(
  pool: pg.Pool,
  tenantId: string,
  raw: StatsQuery,
  by: BreakdownDimension,
): Promise<StatsBreakdown> {
  const q = snapQuery(raw);
  const filter = filterOf(q);
  if (filter !== null && filter.dim !== by) return { query: q, by, suppressed: 'combined_filters', rows: [] };
  const months = periodMonths(q.from, q.to);
  const w = episodeWhere(tenantId, q);
  const [res, prot] = await Promise.all([
    pool.query<Counts & { key: string }>(
      `SELECT ${DIMENSION_SQL[by]} AS key, ${COUNTS_SQL} FROM episodes WHERE ${w.sql} GROUP BY 1 ORDER BY 1`,
      w.params,
    ),
    episodeProtection(pool, tenantId, by),
  ]);
  return {
    query: q,
    by,
    suppressed: null,
    rows: res.rows.map((c) => {
      const reason = periodVerdict(prot, months, c.episodes, c.key);
      const shown = reason === null;
      return {
        key: c.key,
        suppressed: reason,
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
 * Summary and series for the CSV: the very answers of GET /api/stats/summary and /series, so the
 * file shows nothing the API would hide and its total row equals the summary exactly.
 */
export async function statsExport(
  pool: pg.Pool,
  tenantId: string,
  q: StatsQuery,
  quietMs = DEFAULT_QUIET_MS,
): Promise<{ summary: StatsSummary; series: StatsSeries }> {
  const [summary, series] = await Promise.all([
    statsSummary(pool, tenantId, q, quietMs),
    statsSeries(pool, tenantId, q),
  ]);
  return { summary, series };
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
