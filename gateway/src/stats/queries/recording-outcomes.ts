/**
 * What became of the recordings of a selection (kept as evidence, deleted, still within retention),
 * as counts per state under the disclosure control with recordings as the unit. Period, weekday and
 * hour by the start in local time; team by the unit the recording was made under; context through
 * the camera's episode containing the moment it was switched to recording. Only counts leave here.
 */
import type { RetentionFigures, RetentionSummary, StatsQuery } from '@lagebild/protocol';
import {
  HIDDEN_RETENTION,
  periodVerdict,
  type RecordingGroup,
  retentionFigures,
  type Suppression,
  tallyRecordings,
} from '@lagebild/stats';
import type pg from 'pg';
import type { Control } from './protection.ts';
import { queryRows, type Sql, sql } from './sql.ts';
import { RECORDING_LOCAL_START, recordingSelection } from './where-clauses.ts';

export interface RecordingGroupRow {
  k: string;
  state: RecordingGroup['state'];
  retention: RecordingGroup['retention'];
  early: boolean;
  n: number;
}

/** Rows of (key, state, class, early deletion) counts as groups per key. */
export function groupsByKey(rows: readonly RecordingGroupRow[]): Map<string, RecordingGroup[]> {
  const out = new Map<string, RecordingGroup[]>();
  for (const r of rows) {
    const list = out.get(r.k) ?? [];
    list.push({ state: r.state, retention: r.retention, earlyDeletion: r.early, n: r.n });
    out.set(r.k, list);
  }
  return out;
}

/**
 * Recordings of the selection grouped by state, class and early deletion, per local week of their
 * start (or one group under 'all').
 */
export async function recordingGroups(
  pool: pg.Pool,
  tenantId: string,
  q: StatsQuery,
  byWeek: boolean,
): Promise<Map<string, RecordingGroup[]>> {
  const { joins, where } = recordingSelection(tenantId, q);
  const key: Sql = byWeek
    ? sql`to_char(date_trunc('week', ${RECORDING_LOCAL_START}), 'YYYY-MM-DD')`
    : sql`'all'`;
  const rows = await queryRows<RecordingGroupRow>(
    pool,
    sql`SELECT ${key} AS k, r.state::text AS state, r.retention::text AS retention,
            (r.state = 'deleted' AND EXISTS (
               SELECT 1 FROM recording_approvals a
                WHERE a.recording_id = r.id AND a.action = 'early_deletion' AND a.state = 'approved')) AS early,
            count(*)::int AS n
       FROM recordings r ${joins}
      WHERE ${where}
      GROUP BY 1, 2, 3, 4`,
  );
  return groupsByKey(rows);
}

/** The retention figures of some recordings, or all null when `reason` says they may not be shown. */
export function shownRetention(
  groups: readonly RecordingGroup[],
  reason: Suppression | null,
): RetentionFigures {
  return reason === null ? retentionFigures(tallyRecordings(groups)) : { ...HIDDEN_RETENTION };
}

/** The period's retention figures under the recordings' control. */
export function retentionSummary(ctl: Control, groups: readonly RecordingGroup[]): RetentionSummary {
  const total = tallyRecordings(groups).total;
  const reason = periodVerdict(ctl.recordings, ctl.months, total, ctl.filter?.value);
  return {
    ...shownRetention(groups, reason),
    suppressed: reason !== null,
    suppressedReason: reason,
    contextFrom: 'episode',
  };
}
