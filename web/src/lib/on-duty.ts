/**
 * On duty or not (issue 15): a camera on a shift is a unit (it has a unitId) and belongs on the map
 * and in the unit list; a camera reporting without a shift is "not on duty" and is listed apart in
 * the control room, for as long as it is connected or has reported within the last 12 hours.
 */
import type { UnitLive } from '@lagebild/protocol';

/** how long a camera without a shift stays in the "not on duty" list after its last report */
export const OFF_DUTY_VISIBLE_MS = 12 * 3_600_000;

export const isOnDuty = (unit: Pick<UnitLive, 'unitId'>): boolean => unit.unitId !== null;

/** The cameras reporting without a shift that the list shows, by label. */
export function offDutyCameras(units: readonly UnitLive[], serverNowMs: number): UnitLive[] {
  return units
    .filter((u) => !isOnDuty(u) && (u.online || serverNowMs - u.receivedAt < OFF_DUTY_VISIBLE_MS))
    .sort((a, b) => a.deviceLabel.localeCompare(b.deviceLabel, 'de', { numeric: true }));
}
