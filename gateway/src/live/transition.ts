/**
 * What counts as a stage change, and the live view's ordering rule, as pure functions.
 * A stage change is a change of stage or of the emergency flag between consecutive events of a
 * device in seq order. The live view only moves forward: an event with a lower or equal seq than the
 * newest one seen is stored (late) but never shown as current.
 */
import type { DeviceStatus, Stage } from '@lagebild/protocol';

export interface StageSnapshot {
  seq: number;
  stage: Stage;
  emergency: boolean;
}

export type Ordering = 'newer' | 'same' | 'late';

export function ordering(prev: { seq: number } | null, seq: number): Ordering {
  if (prev === null || seq > prev.seq) return 'newer';
  return seq === prev.seq ? 'same' : 'late';
}

/** True when `next` (newer than `prev`) starts a new stage or toggles emergency. */
export function isStageChange(
  prev: StageSnapshot | null,
  next: Pick<DeviceStatus, 'stage' | 'emergency'>,
): boolean {
  if (prev === null) return next.stage !== 'standby' || next.emergency;
  return prev.stage !== next.stage || prev.emergency !== next.emergency;
}
