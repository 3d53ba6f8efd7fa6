import { describe, expect, it } from 'vitest';
import { isStageChange, ordering } from './transition.ts';

describe('ordering', () => {
  it('treats the first event, and any higher seq, as newer', () => {
    expect(ordering(null, 0)).toBe('newer');
    expect(ordering({ seq: 4 }, 5)).toBe('newer');
  });
  it('classifies a resend as same and a lower seq as late', () => {
    expect(ordering({ seq: 4 }, 4)).toBe('same');
    expect(ordering({ seq: 4 }, 3)).toBe('late');
  });
});

describe('isStageChange', () => {
  const standby = { seq: 1, stage: 'standby' as const, emergency: false };
  it('sees a change of stage', () => {
    expect(isStageChange(standby, { stage: 'display', emergency: false })).toBe(true);
    expect(isStageChange(standby, { stage: 'standby', emergency: false })).toBe(false);
  });
  it('sees an emergency toggle without a stage change', () => {
    expect(isStageChange(standby, { stage: 'standby', emergency: true })).toBe(true);
  });
  it('records a first event only when it is not plain standby', () => {
    expect(isStageChange(null, { stage: 'standby', emergency: false })).toBe(false);
    expect(isStageChange(null, { stage: 'recording', emergency: false })).toBe(true);
    expect(isStageChange(null, { stage: 'standby', emergency: true })).toBe(true);
  });
});
