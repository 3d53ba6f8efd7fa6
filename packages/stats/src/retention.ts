/**
 * What became of the recordings (issue 8, with the recordings of issue 6): kept as evidence (legal
 * hold included), deleted by the retention sweeper, deleted early after four-eyes consent, or still
 * within the retention period. A recording row keeps its metadata after crypto-shredding, so deleted
 * ones still count. The same privacy rule as for episodes: fewer than MIN_CELL recordings in a
 * selection (a week, a team, …) and none of its figures is shown.
 */
import type { RecordingState, RetentionClass, RetentionFigures } from '@lagebild/protocol';
import { MIN_CELL } from './privacy.ts';

export type RecordingOutcome = 'kept' | 'deleted_retention' | 'deleted_early' | 'pending';

/**
 * One recording's outcome from its row: held (evidence or legal hold) is kept; deleted with an
 * approved early-deletion request is deleted early, otherwise by retention; anything else standard
 * and not deleted (still recording, complete, incomplete, even overdue for the sweeper) is pending.
 */
export function recordingOutcome(r: {
  state: RecordingState;
  retention: RetentionClass;
  earlyDeletion: boolean;
}): RecordingOutcome {
  if (r.state === 'deleted') return r.earlyDeletion ? 'deleted_early' : 'deleted_retention';
  if (r.retention === 'evidence' || r.retention === 'legal_hold') return 'kept';
  return 'pending';
}

/** Counts per combination of state, retention class and early deletion (one SQL GROUP BY row). */
export interface RecordingGroup {
  state: RecordingState;
  retention: RetentionClass;
  earlyDeletion: boolean;
  n: number;
}

export interface RetentionCounts {
  total: number;
  kept: number;
  legalHold: number;
  deleted: number;
  deletedByRetention: number;
  deletedEarly: number;
  pending: number;
}

export function tallyRecordings(groups: readonly RecordingGroup[]): RetentionCounts {
  const c: RetentionCounts = {
    total: 0,
    kept: 0,
    legalHold: 0,
    deleted: 0,
    deletedByRetention: 0,
    deletedEarly: 0,
    pending: 0,
  };
  for (const g of groups) {
    c.total += g.n;
    const outcome = recordingOutcome(g);
    if (outcome === 'kept') {
      c.kept += g.n;
      if (g.retention === 'legal_hold') c.legalHold += g.n;
    } else if (outcome === 'pending') c.pending += g.n;
    else {
      c.deleted += g.n;
      if (outcome === 'deleted_early') c.deletedEarly += g.n;
      else c.deletedByRetention += g.n;
    }
  }
  return c;
}

/** The figures of a selection that may not be shown: every one null. */
export const HIDDEN_RETENTION: Readonly<RetentionFigures> = Object.freeze({
  total: null,
  kept: null,
  legalHold: null,
  deleted: null,
  deletedByRetention: null,
  deletedEarly: null,
  pending: null,
});

/** The figures as shown: every one null when fewer than `min` recordings are in the selection. */
export function retentionFigures(c: RetentionCounts, min = MIN_CELL): RetentionFigures {
  return c.total < min ? { ...HIDDEN_RETENTION } : { ...c };
}
