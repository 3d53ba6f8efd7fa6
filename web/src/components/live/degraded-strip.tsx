/**
 * Names what the gateway reports as degraded (live feed, video, recordings, database), why, and
 * since when; nothing while all is well. Admins see it as an alarm (role="alert", read out at once)
 * with a pointer to /metrics; for everyone else it is a status line. Only a live picture has one
 * (live-session.ts empties it when the connection drops; the connection banner speaks then).
 */
import type { ComponentHealth } from '@lagebild/protocol';
import { formatClock } from '@/lib/format';
import { usePreferences } from '../preferences-provider';

export function DegradedStrip({ health, isAdmin }: { health: readonly ComponentHealth[]; isAdmin: boolean }) {
  const { t, lang } = usePreferences();
  const degraded = health.filter((h) => h.degraded);
  if (degraded.length === 0) return null;
  return (
    <section
      className={`degraded-strip${isAdmin ? ' degraded-strip-alarm' : ''}`}
      role={isAdmin ? 'alert' : 'status'}
      aria-label={t('degraded.label')}
      data-testid="degraded-strip"
    >
      <strong className="degraded-strip-title">
        <span aria-hidden="true">⚠ </span>
        {isAdmin ? `${t('degraded.alarm')}: ` : ''}
        {t('degraded.label')}
      </strong>
      <ul className="degraded-strip-list">
        {degraded.map((h) => (
          <li key={h.component} data-component={h.component}>
            <strong>{t(`degraded.component.${h.component}`)}</strong>{' '}
            {t('degraded.since', { since: formatClock(h.since, lang) })}
            {h.reason ? ` – ${t(`degraded.reason.${h.reason}`)}` : ''}
          </li>
        ))}
      </ul>
      {isAdmin ? <p className="degraded-strip-hint">{t('degraded.adminHint')}</p> : null}
    </section>
  );
}
