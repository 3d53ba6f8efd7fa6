/**
 * The selected unit lives in the URL (`/?unit=<unitId>`, or `/?device=<deviceId>` for a camera not
 * assigned to a unit), so a link or a reload shows the same unit. Replaces history entries instead of
 * adding them: clicking through fifty units should not need fifty "back" presses.
 */
import type { UnitLive } from '@lagebild/protocol';

export type SelectionRef = { unitId: string } | { deviceId: string };

export function selectionFromSearch(search: string): SelectionRef | null {
  const params = new URLSearchParams(search);
  const unitId = params.get('unit');
  if (unitId) return { unitId };
  const deviceId = params.get('device');
  if (deviceId) return { deviceId };
  return null;
}

export function searchForSelection(
  search: string,
  unit: Pick<UnitLive, 'unitId' | 'deviceId'> | null,
): string {
  const params = new URLSearchParams(search);
  params.delete('unit');
  params.delete('device');
  if (unit?.unitId) params.set('unit', unit.unitId);
  else if (unit) params.set('device', unit.deviceId);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function matchesSelection(unit: Pick<UnitLive, 'unitId' | 'deviceId'>, ref: SelectionRef): boolean {
  return 'unitId' in ref ? unit.unitId === ref.unitId : unit.deviceId === ref.deviceId;
}
