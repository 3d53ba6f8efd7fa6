'use client';
/**
 * "Nicht im Dienst": cameras that report without a shift (issue 15). They are neither lost nor
 * units, so they are not on the map; each is a button that opens its detail (keyboard: Tab, Enter).
 */
import type { UnitLive } from '@lagebild/protocol';
import { formatAge } from '@/lib/format';
import { statusOf } from '@/lib/unit-filter';
import { usePreferences } from '../preferences-provider';
import { StageGlyph } from '../stage-glyph';

export function OffDutyList({
  cameras,
  serverNowMs,
  onSelect,
}: {
  cameras: readonly UnitLive[];
  serverNowMs: number;
  onSelect(deviceId: string): void;
}) {
  const { t } = usePreferences();
  if (cameras.length === 0) return null;
  return (
    <section className="off-duty" aria-labelledby="off-duty-title" data-testid="off-duty">
      <h3 id="off-duty-title" className="panel-title">
        {t('offDuty.title')} ({cameras.length})
      </h3>
      <p className="muted">{t('offDuty.intro')}</p>
      <ul>
        {cameras.map((c) => (
          <li key={c.deviceId}>
            <button type="button" className="button button-small" onClick={() => onSelect(c.deviceId)}>
              <StageGlyph status={statusOf(c)} size={14} /> {c.deviceLabel}
            </button>
            <span className="muted">
              {t('offDuty.since', { age: formatAge(Math.max(0, serverNowMs - c.receivedAt), t) })}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
