'use client';
/**
 * Open incidents, most urgent first (priority, then waiting time). Each row is a button: number,
 * kind, unit, priority, age, whether its alert is still unacknowledged, and a summary of its backup
 * requests as state chips. A closed incident stays a moment, greyed and labelled, before it goes.
 */
import type { Alert, DispatchRequest, Incident } from '@lagebild/protocol';
import { summarizeRequests } from '@/lib/dispatch-view';
import { formatAge } from '@/lib/format';
import { AlertKindIcon, RequestStateChip } from './dispatch-glyphs';
import { usePreferences } from './preferences-provider';

export interface IncidentListProps {
  incidents: readonly Incident[];
  alertsByIncident: ReadonlyMap<string, readonly Alert[]>;
  requestsByIncident: ReadonlyMap<string, readonly DispatchRequest[]>;
  serverNowMs: number;
  selectedId: string | null;
  onSelect(incidentId: string): void;
}

export function IncidentList({
  incidents,
  alertsByIncident,
  requestsByIncident,
  serverNowMs,
  selectedId,
  onSelect,
}: IncidentListProps) {
  const { t } = usePreferences();
  if (incidents.length === 0) {
    return (
      <p className="incident-list-empty" role="status">
        {t('incidents.empty')}
      </p>
    );
  }
  return (
    <ul className="incident-list" aria-label={t('incidents.listLabel')}>
      {incidents.map((incident) => {
        const alerts = alertsByIncident.get(incident.id) ?? [];
        const requests = requestsByIncident.get(incident.id) ?? [];
        const unacknowledged = alerts.some((a) => a.acknowledgedAt === null);
        const summary = summarizeRequests(requests);
        const closed = incident.status === 'closed';
        return (
          <li key={incident.id}>
            <button
              type="button"
              className={`incident-row priority-${incident.priority}${closed ? ' is-closed' : ''}${unacknowledged ? ' is-unacknowledged' : ''}`}
              aria-current={incident.id === selectedId ? 'true' : undefined}
              onClick={() => onSelect(incident.id)}
            >
              <span className="incident-row-head">
                <span className={`priority-badge priority-badge-${incident.priority}`}>
                  {t('priority.short', { n: incident.priority })}
                </span>
                <AlertKindIcon kind={incident.kind} size={18} />
                <span className="incident-row-title">
                  {incident.callsign ?? t('incidents.atPoint')}
                  <span className="incident-row-kind"> · {t(`incident.kind.${incident.kind}`)}</span>
                </span>
                <span className="incident-row-age">
                  {closed
                    ? t('incidents.closed')
                    : t('incidents.opened', { ago: formatAge(serverNowMs - incident.openedAt, t) })}
                </span>
              </span>
              <span className="incident-row-meta">
                <span className="incident-number">{incident.number}</span>
                {unacknowledged && (
                  <span className="unack-badge">
                    <span aria-hidden="true">! </span>
                    {t('incidents.unacknowledged')}
                  </span>
                )}
                {summary.length === 0 ? (
                  <span className="muted">{t('incidents.noRequests')}</span>
                ) : (
                  summary.map(({ state, count }) => (
                    <RequestStateChip key={state} state={state} count={count} />
                  ))
                )}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
