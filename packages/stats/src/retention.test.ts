import { describe, expect, it } from 'vitest';
import { type RecordingGroup, recordingOutcome, retentionFigures, tallyRecordings } from './retention.ts';

describe('recordingOutcome()', () => {
  it('keeps held recordings, tells early deletions from the sweeper’s, and leaves the rest pending', () => {
    expect(recordingOutcome({ state: 'complete', retention: 'evidence', earlyDeletion: false })).toBe('kept');
    expect(recordingOutcome({ state: 'incomplete', retention: 'legal_hold', earlyDeletion: false })).toBe(
      'kept',
    );
    expect(recordingOutcome({ state: 'deleted', retention: 'standard', earlyDeletion: false })).toBe(
      'deleted_retention',
    );
    expect(recordingOutcome({ state: 'deleted', retention: 'standard', earlyDeletion: true })).toBe(
      'deleted_early',
    );
    for (const state of ['recording', 'complete', 'incomplete'] as const)
      expect(recordingOutcome({ state, retention: 'standard', earlyDeletion: false })).toBe('pending');
    // an approval without deletion (cannot happen: it deletes in the same transaction) changes nothing
    expect(recordingOutcome({ state: 'complete', retention: 'standard', earlyDeletion: true })).toBe(
      'pending',
    );
  });
});

describe('tallyRecordings() and retentionFigures()', () => {
  const groups: RecordingGroup[] = [
    { state: 'complete', retention: 'evidence', earlyDeletion: false, n: 7 },
    { state: 'complete', retention: 'legal_hold', earlyDeletion: false, n: 1 },
    { state: 'deleted', retention: 'standard', earlyDeletion: false, n: 14 },
    { state: 'deleted', retention: 'standard', earlyDeletion: true, n: 2 },
    { state: 'complete', retention: 'standard', earlyDeletion: false, n: 3 },
    { state: 'recording', retention: 'standard', earlyDeletion: false, n: 1 },
  ];

  it('adds up to the total: kept + deleted + pending, deleted = by retention + early', () => {
    const c = tallyRecordings(groups);
    expect(c).toEqual({
      total: 28,
      kept: 8,
      legalHold: 1,
      deleted: 16,
      deletedByRetention: 14,
      deletedEarly: 2,
      pending: 4,
    });
    expect(c.kept + c.deleted + c.pending).toBe(c.total);
    expect(tallyRecordings([])).toMatchObject({ total: 0, kept: 0, deleted: 0, pending: 0 });
  });

  it('shows every figure of a selection with at least 5 recordings, none below', () => {
    expect(retentionFigures(tallyRecordings(groups))).toEqual(tallyRecordings(groups));
    const four = tallyRecordings([{ state: 'complete', retention: 'evidence', earlyDeletion: false, n: 4 }]);
    expect(Object.values(retentionFigures(four)).every((v) => v === null)).toBe(true);
    const five = tallyRecordings([{ state: 'complete', retention: 'evidence', earlyDeletion: false, n: 5 }]);
    expect(retentionFigures(five)).toMatchObject({ total: 5, kept: 5, deleted: 0, pending: 0 });
    expect(retentionFigures(tallyRecordings([]))).toMatchObject({ total: null, kept: null });
  });
});
