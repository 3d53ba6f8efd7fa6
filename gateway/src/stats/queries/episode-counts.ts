/**
 * The episode counts every view is made of (funnel, de-escalation, assaults, reports), as one SQL
 * select list over `episodes` and the row it gives; counts of several weeks add up, percentiles
 * do not.
 */
import { MIN_CELL } from '@lagebild/stats';
import { sql } from './sql.ts';

export interface Counts {
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

/** The select list of `Counts` without the percentiles (they need their own, see the summary). */
export const COUNTS_SQL = sql`
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

/** Seconds from display to recording, median and 90th percentile, of the episodes that escalated. */
export const DISPLAY_TO_RECORDING_SQL = sql`
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM recording_at - display_at))
    FILTER (WHERE display_first AND recording_at IS NOT NULL) AS d2r_median,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM recording_at - display_at))
    FILTER (WHERE display_first AND recording_at IS NOT NULL) AS d2r_p90`;

export const ZERO_COUNTS: Readonly<Counts> = Object.freeze({
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
});

/** Counts of several weeks added up (percentiles do not add; they stay null). */
export function addCounts(rows: readonly (Counts | undefined)[]): Counts {
  const total = { ...ZERO_COUNTS };
  for (const r of rows) {
    if (r === undefined) continue;
    for (const k of Object.keys(total) as Array<keyof Counts>) {
      if (k !== 'd2r_median' && k !== 'd2r_p90') total[k] += r[k];
    }
  }
  return total;
}

/** The de-escalation rate of a cell that may be shown, when MIN_CELL display episodes are behind it. */
export function deescalationRate(c: Counts, shown: boolean): number | null {
  return shown && c.display >= MIN_CELL ? c.deescalated / c.display : null;
}
