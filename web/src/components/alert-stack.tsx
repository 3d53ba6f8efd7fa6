'use client';
/**
 * Alerts of the tenant over the map: every unacknowledged alert, escalated ones first and drawn
 * stronger, each with its own "acknowledge" button; after acknowledgement the card stays for a while
 * showing who took it, so every screen learns it at the same moment.
 *
 * The cards themselves are not a live region: their ages tick every second and a screen reader would
 * repeat them endlessly. Instead one visually hidden assertive region announces each event once
 * (new, escalated, acknowledged).
 */
import type { Alert, Incident } from '@lagebild/protocol';
import { useEffect, useRef, useState } from 'react';
import { ApiError } from '@/lib/api';
import { acknowledgeAlert } from '@/lib/dispatch-api';
import { formatAge, formatClock } from '@/lib/format';
import type { MessageKey } from '@/lib/i18n';
import { AlertKindIcon } from './dispatch-glyphs';
import { usePreferences } from './preferences-provider';

export interface AlertStackProps {
  /** in display order (alertsForStack) */
  alerts: readonly Alert[];
  incidents: ReadonlyMap<string, Incident>;
  serverNowMs: number;
  onShowIncident(incidentId: string): void;
  /** the server's answer, applied before the socket's upsert arrives */
  onAcknowledged(alert: Alert): void;
  onSignedOut(): void;
}

const KIND_KEY: Record<Alert['kind'], MessageKey> = {
  emergency: 'alerts.kind.emergency',
  recording: 'alerts.kind.recording',
  manual: 'alerts.kind.manual',
};

export function AlertStack({
  alerts,
  incidents,
  serverNowMs,
  onShowIncident,
  onAcknowledged,
  onSignedOut,
}: AlertStackProps) {
  const { t } = usePreferences();
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const announcement = useAnnouncement(alerts);
  const shown = alerts.filter((a) => !dismissed.has(a.id));

  return (
    <section className="alert-stack" aria-labelledby="alert-stack-title" hidden={shown.length === 0}>
      <h2 id="alert-stack-title" className="visually-hidden">
        {t('alerts.title')}
      </h2>
      <div className="visually-hidden" aria-live="assertive" aria-atomic="true">
        {announcement}
      </div>
      {shown.length > 0 && (
        <ol className="alert-list">
          {shown.map((alert) => (
            <AlertCard
              key={alert.id}
              alert={alert}
              incident={incidents.get(alert.incidentId)}
              serverNowMs={serverNowMs}
              onShowIncident={onShowIncident}
              onAcknowledged={onAcknowledged}
              onDismiss={() => setDismissed((s) => new Set(s).add(alert.id))}
              onSignedOut={onSignedOut}
            />
          ))}
        </ol>
      )}
    </section>
  );
}

function AlertCard({
  alert,
  incident,
  serverNowMs,
  onShowIncident,
  onAcknowledged,
  onDismiss,
  onSignedOut,
}: {
  alert: Alert;
  incident: Incident | undefined;
  serverNowMs: number;
  onShowIncident(incidentId: string): void;
  onAcknowledged(alert: Alert): void;
  onDismiss(): void;
  onSignedOut(): void;
}) {
  const { t, lang } = usePreferences();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const kind = t(KIND_KEY[alert.kind]);
  const unit = alert.callsign ?? t('alerts.noUnit');
  const acked = alert.acknowledgedAt !== null;
  // once acknowledged the card calms down, whatever level it had reached
  const level = acked ? 0 : Math.min(alert.escalationLevel, 3);

  async function acknowledge() {
    setBusy(true);
    setError(null);
    try {
      const res = await acknowledgeAlert(alert.id);
      onAcknowledged(res.alert);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'unauthenticated') onSignedOut();
      // 409: someone was faster; their name arrives with the alert upsert, the message says it now
      else setError(t('alerts.ackFailed', { message: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li
      className={`alert-card alert-kind-${alert.kind} escalation-${level}${acked ? ' is-acknowledged' : ''}`}
      data-alert-id={alert.id}
    >
      <AlertKindIcon kind={alert.kind} size={acked ? 20 : 28} />
      <div className="alert-card-body">
        <p className="alert-card-title">
          <strong>{kind}</strong> <span className="alert-card-unit">{unit}</span>
        </p>
        <p className="alert-card-meta">
          <time dateTime={new Date(alert.raisedAt).toISOString()}>
            {t('alerts.raised', { ago: formatAge(serverNowMs - alert.raisedAt, t) })}
          </time>
          {alert.escalationLevel > 0 && !acked && (
            <span className="escalation-badge">
              <span aria-hidden="true">{'▲'.repeat(level)} </span>
              {t('alerts.escalated', { level: alert.escalationLevel })}
            </span>
          )}
        </p>
        {acked && (
          <p className="alert-card-ack">
            <span aria-hidden="true">✓ </span>
            {t('alerts.acknowledgedAt', {
              name: alert.acknowledgedBy ?? '–',
              time: formatClock(alert.acknowledgedAt ?? 0, lang),
            })}
          </p>
        )}
        {error && <p className="alert-card-error">{error}</p>}
        <div className="alert-card-actions">
          {!acked && (
            <button
              type="button"
              className="button alert-ack-button"
              onClick={acknowledge}
              disabled={busy}
              aria-label={t('alerts.acknowledgeLabel', { kind, unit })}
            >
              {busy ? t('alerts.acknowledging') : t('alerts.acknowledge')}
            </button>
          )}
          {incident && (
            <button type="button" className="link-button" onClick={() => onShowIncident(alert.incidentId)}>
              {t('alerts.showIncident', { number: incident.number })}
            </button>
          )}
          {acked && (
            <button
              type="button"
              className="button button-quiet button-small"
              onClick={onDismiss}
              aria-label={t('alerts.dismissLabel', { unit })}
            >
              {t('alerts.dismiss')}
            </button>
          )}
        </div>
      </div>
    </li>
  );
}

/** One sentence per alert event since the last render, for the assertive live region. */
function useAnnouncement(alerts: readonly Alert[]): string {
  const { t } = usePreferences();
  const previous = useRef<Map<string, Alert> | null>(null);
  const [text, setText] = useState('');
  useEffect(() => {
    const before = previous.current;
    previous.current = new Map(alerts.map((a) => [a.id, a]));
    // the first render is the page opening: the cards are there to read, no need to shout
    if (!before) return;
    const lines: string[] = [];
    for (const a of alerts) {
      const prev = before.get(a.id);
      const params = { kind: t(KIND_KEY[a.kind]), unit: a.callsign ?? t('alerts.noUnit') };
      if (a.acknowledgedAt !== null && prev?.acknowledgedAt == null && prev !== undefined)
        lines.push(t('alerts.announce.acknowledged', { ...params, name: a.acknowledgedBy ?? '–' }));
      else if (!prev && a.acknowledgedAt === null) lines.push(t('alerts.announce.new', params));
      else if (prev && a.escalationLevel > prev.escalationLevel && a.acknowledgedAt === null)
        lines.push(t('alerts.announce.escalated', params));
    }
    if (lines.length > 0) setText(lines.join('. '));
  }, [alerts, t]);
  return text;
}
