'use client';
/**
 * Active emergencies, at the top of the page, as an alert: the one thing on this screen that must
 * not be missed, also not by someone who cannot see the map's colours or is working by keyboard.
 */
import type { UnitLive } from '@lagebild/protocol';
import { labelOf } from '@/lib/unit-filter';
import { usePreferences } from './preferences-provider';

export function EmergencyBanner({
  units,
  onSelect,
}: {
  units: readonly UnitLive[];
  onSelect(deviceId: string): void;
}) {
  const { t } = usePreferences();
  return (
    <div className="emergency-banner" role="alert" hidden={units.length === 0}>
      {units.length > 0 && (
        <>
          <strong className="emergency-banner-title">
            <span aria-hidden="true">⚠ </span>
            {t('stage.emergency')}:
          </strong>
          <ul>
            {units.map((unit) => (
              <li key={unit.deviceId}>
                <button type="button" className="emergency-unit" onClick={() => onSelect(unit.deviceId)}>
                  {labelOf(unit)}
                  {unit.team ? ` (${unit.team})` : ''}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
