/**
 * GET /api/stats/series: per week without a filter; per ISO month under a filter, as a filter's
 * value is protected per month block (a week of one team is too small a cell far too often to be
 * worth showing). Each bin's episode and recording figures pass the disclosure control apart.
 */
import type { SeriesPoint, StatsQuery, StatsSeries } from '@lagebild/protocol';
import {
  periodVerdict,
  type RecordingGroup,
  tallyRecordings,
  weeksOfMonth,
  weekVerdict,
} from '@lagebild/stats';
import type pg from 'pg';
import { addCounts, type Counts, deescalationRate } from './episode-counts.ts';
import { type EpisodeSource, episodeCounts } from './episode-source.ts';
import { officerHours, round2 } from './officer-hours.ts';
import { type Control, loadControl } from './protection.ts';
import { recordingGroups, shownRetention } from './recording-outcomes.ts';

type WeekCounts = Counts & { week: string };

export async function statsSeries(
  pool: pg.Pool,
  tenantId: string,
  query: StatsQuery,
  source: EpisodeSource = 'rollup',
): Promise<StatsSeries> {
  const ctl = await loadControl(pool, tenantId, query, source);
  const [counts, hours, recordings] = await Promise.all([
    episodeCounts(pool, tenantId, ctl.q, 'week', source),
    officerHours(pool, tenantId, ctl.q, true, source),
    recordingGroups(pool, tenantId, ctl.q, true),
  ]);
  const rows: WeekCounts[] = counts.map(({ key, ...c }) => ({ ...c, week: key }));
  return {
    query: ctl.q,
    bin: ctl.filter ? 'month' : 'week',
    points: seriesPoints(ctl, rows, hours, recordings),
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

/** A point of the series: its first week, its weeks, and its months when it is a month block. */
export interface SeriesBin {
  start: string;
  weeks: string[];
  months: string[] | null;
}

/** The bins of a series: the period's ISO months under a filter, else its weeks. */
export function seriesBins(ctl: Pick<Control, 'q' | 'months' | 'filter'>): SeriesBin[] {
  return ctl.filter
    ? ctl.months.map((m) => ({ start: weeksOfMonth(m)[0]!, weeks: weeksOfMonth(m), months: [m] }))
    : weeksBetween(ctl.q.from, ctl.q.to).map((wk) => ({ start: wk, weeks: [wk], months: null }));
}

export function seriesPoints(
  ctl: Control,
  rows: readonly WeekCounts[],
  hours: ReadonlyMap<string, number>,
  recordings: ReadonlyMap<string, RecordingGroup[]>,
): SeriesPoint[] {
  const byWeek = new Map(rows.map((r) => [r.week, r]));
  return seriesBins(ctl).map(({ start, weeks, months }) => {
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
      deescalationRate: deescalationRate(c, shown),
      officerHours: round2(weeks.reduce((sum, wk) => sum + (hours.get(wk) ?? 0), 0)),
      retention: shownRetention(groups, recordingReason),
    };
  });
}
