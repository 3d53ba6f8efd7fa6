/**
 * GET /api/stats/summary: the period's funnel, de-escalation rate with its Wilson interval, rates
 * per 1,000 officer-hours, comparisons against the baseline periods, and what became of the
 * recordings; every episode figure null when the disclosure control hides the period's cell.
 */
import type { BaselineComparison, StatsQuery, StatsSummary } from '@lagebild/protocol';
import {
  DEFAULT_QUIET_MS,
  MIN_CELL,
  per1000Hours,
  periodVerdict,
  type RecordingGroup,
  rateRatio,
  wilson,
} from '@lagebild/stats';
import type pg from 'pg';
import type { Counts } from './episode-counts.ts';
import { displayToRecording, type EpisodeSource, episodeCounts } from './episode-source.ts';
import { officerHours, round2 } from './officer-hours.ts';
import { type Control, loadControl } from './protection.ts';
import { recordingGroups, retentionSummary } from './recording-outcomes.ts';
import { queryRows, sql } from './sql.ts';

export interface BaselineRow {
  id: string;
  label: string;
  officer_hours: number;
  assaults: number;
}

export async function statsSummary(
  pool: pg.Pool,
  tenantId: string,
  query: StatsQuery,
  quietMs = DEFAULT_QUIET_MS,
  source: EpisodeSource = 'rollup',
): Promise<StatsSummary> {
  const ctl = await loadControl(pool, tenantId, query, source);
  const [counts, d2r, hours, baselines, recordings] = await Promise.all([
    episodeCounts(pool, tenantId, ctl.q, 'total', source),
    displayToRecording(pool, tenantId, ctl.q),
    officerHours(pool, tenantId, ctl.q, false, source),
    queryRows<BaselineRow>(
      pool,
      sql`SELECT id, label, officer_hours, assaults FROM baseline_periods WHERE tenant_id = ${tenantId} ORDER BY starts_on`,
    ),
    recordingGroups(pool, tenantId, ctl.q, false),
  ]);
  const { key: _key, ...total }: Counts & { key: string } = counts[0]!;
  return buildSummary(
    ctl,
    quietMs,
    { ...total, ...d2r },
    hours.get('all') ?? 0,
    baselines,
    recordings.get('all') ?? [],
  );
}

/** A proportion with its Wilson interval, when at least MIN_CELL are behind it. */
function proportion(successes: number, n: number) {
  const w = n >= MIN_CELL ? wilson(successes, n) : null;
  return w ? { ...w, successes, n } : null;
}

/** Pilot against one baseline period: assaults per 1,000 officer-hours and their rate ratio. */
export function compareWithBaseline(b: BaselineRow, assaults: number, hours: number): BaselineComparison {
  return {
    baselineId: b.id,
    label: b.label,
    baselineAssaults: b.assaults,
    baselineOfficerHours: b.officer_hours,
    baselinePer1000h: per1000Hours(b.assaults, b.officer_hours)!,
    pilotAssaults: assaults,
    pilotOfficerHours: round2(hours),
    pilotPer1000h: per1000Hours(assaults, hours),
    rateRatio: rateRatio(assaults, hours, b.assaults, b.officer_hours),
  };
}

/** The summary from the period's counts, officer-hours, baselines and recordings, under the control. */
export function buildSummary(
  ctl: Control,
  quietMs: number,
  c: Counts,
  hours: number,
  baselines: readonly BaselineRow[],
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
  const assaults = c.verbal + c.physical;
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
    comparisons: baselines.map((b) => compareWithBaseline(b, assaults, hours)),
  };
}
