'use client';
/**
 * One incident: facts, its alerts (with acknowledgement), its backup requests as live state chips,
 * requesting backup (supervisors and admins), the timeline with author and time, notes, and closing
 * with an outcome (supervisors and admins). Live parts come from the incident store; the timeline is
 * fetched (GET /api/incidents/:id) and fetched again shortly after anything of this incident changes.
 * Mount it with `key={incident.id}`.
 */
import {
  type Alert,
  type DispatchRequest,
  type Incident,
  IncidentOutcome,
  type LatLng,
  type Role,
  type TimelineEntry,
} from '@lagebild/protocol';
import { useEffect, useId, useState } from 'react';
import { ApiError } from '@/lib/api';
import { addNote, cancelRequest, closeIncident, getIncidentDetail, setPriority } from '@/lib/dispatch-api';
import {
  canCloseIncident,
  canDispatch,
  formatDistance,
  formatEta,
  REQUEST_STATE_VIEW,
} from '@/lib/dispatch-view';
import { formatAge, formatClock, formatCoordinate } from '@/lib/format';
import { timelineText } from '@/lib/timeline-text';
import { AlertKindIcon, RequestStateChip } from './dispatch-glyphs';
import { DispatchPanel } from './dispatch-panel';
import { usePreferences } from './preferences-provider';

export interface IncidentDetailProps {
  incident: Incident;
  alerts: readonly Alert[];
  requests: readonly DispatchRequest[];
  location: LatLng | null;
  role: Role;
  serverNowMs: number;
  /** changes whenever something of this incident changed in the store */
  changeKey: string;
  onClose(): void;
  onShowOnMap(): void;
  onAcknowledge(alert: Alert): Promise<void>;
  onRequests(requests: DispatchRequest[]): void;
  onIncident(incident: Incident): void;
  onSignedOut(): void;
}

type Timeline = { kind: 'loading' } | { kind: 'ready'; entries: TimelineEntry[] } | { kind: 'error' };

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function IncidentDetail(props: IncidentDetailProps) {
  const { incident, alerts, requests, location, role, serverNowMs, changeKey, onSignedOut } = props;
  const { t, lang } = usePreferences();
  const titleId = useId();
  const [timeline, setTimeline] = useState<Timeline>({ kind: 'loading' });
  const [actionError, setActionError] = useState<string | null>(null);
  const dispatcher = canDispatch(role);
  const closed = incident.status === 'closed';

  useEffect(() => {
    void changeKey;
    const abort = new AbortController();
    const timer = window.setTimeout(() => {
      getIncidentDetail(incident.id, abort.signal).then(
        (detail) => setTimeline({ kind: 'ready', entries: detail.timeline }),
        (err: unknown) => {
          if (abort.signal.aborted) return;
          if (err instanceof ApiError && err.code === 'unauthenticated') onSignedOut();
          else setTimeline((prev) => (prev.kind === 'ready' ? prev : { kind: 'error' }));
        },
      );
    }, 250);
    return () => {
      window.clearTimeout(timer);
      abort.abort();
    };
  }, [incident.id, changeKey, onSignedOut]);

  function failed(err: unknown) {
    if (err instanceof ApiError && err.code === 'unauthenticated') onSignedOut();
    else setActionError(t('incident.actionFailed', { message: messageOf(err) }));
  }

  async function cancel(request: DispatchRequest) {
    setActionError(null);
    try {
      const res = await cancelRequest(request.id);
      props.onRequests([res.request]);
    } catch (err) {
      failed(err);
    }
  }

  const facts: [string, string][] = [
    [t('incident.unit'), incident.callsign ?? t('incidents.atPoint')],
    [
      t('incident.location'),
      location
        ? `${formatCoordinate(location.lat, lang)}, ${formatCoordinate(location.lng, lang)}${incident.deviceId ? ` (${t('incident.locationLive')})` : ''}`
        : t('incident.noLocation'),
    ],
    [
      t('incident.openedAt'),
      `${formatClock(incident.openedAt, lang)} (${formatAge(serverNowMs - incident.openedAt, t)})`,
    ],
    [t('incident.openedBy'), incident.openedBy ?? t('incident.system')],
  ];
  if (incident.summary) facts.push([t('incident.summary'), incident.summary]);

  return (
    <section className={`incident-detail priority-${incident.priority}`} aria-labelledby={titleId}>
      <div className="panel-heading">
        <h2 id={titleId}>
          <AlertKindIcon kind={incident.kind} size={22} /> {t('incident.title', { number: incident.number })}
        </h2>
        <button
          type="button"
          className="button button-quiet close-button"
          aria-label={t('detail.close')}
          title={t('detail.close')}
          onClick={props.onClose}
        >
          <span aria-hidden="true">✕</span>
        </button>
      </div>
      <p className="incident-badges">
        {dispatcher && !closed ? (
          <PriorityPicker incident={incident} onChanged={props.onIncident} onError={failed} />
        ) : (
          <span className={`priority-badge priority-badge-${incident.priority}`}>
            {t('priority.label')} {t(`priority.${incident.priority as 1 | 2 | 3}`)}
          </span>
        )}
        <span className="kind-badge">{t(`incident.kind.${incident.kind}`)}</span>
        {closed && (
          <span className="kind-badge">
            {t('incidents.closed')}
            {incident.outcome ? `: ${t(`incident.outcome.${incident.outcome}`)}` : ''}
          </span>
        )}
      </p>
      <dl className="facts">
        {facts.map(([term, value]) => (
          <div key={term} className="fact">
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <button type="button" className="button button-small" onClick={props.onShowOnMap} disabled={!location}>
        {t('detail.centerMap')}
      </button>
      {actionError && (
        <p className="form-error" role="alert">
          {actionError}
        </p>
      )}

      {alerts.length > 0 && (
        <>
          <h3>{t('incident.alerts')}</h3>
          <ul className="incident-alerts">
            {alerts.map((a) => (
              <li key={a.id}>
                <span>
                  {t(`alerts.kind.${a.kind}`)} · {formatClock(a.raisedAt, lang)}
                </span>
                {a.acknowledgedAt !== null ? (
                  <span className="ack-done">
                    <span aria-hidden="true">✓ </span>
                    {t('alerts.acknowledgedBy', { name: a.acknowledgedBy ?? '–' })}
                  </span>
                ) : (
                  <button
                    type="button"
                    className="button button-small incident-ack-button"
                    onClick={() => props.onAcknowledge(a).catch(failed)}
                  >
                    {t('alerts.acknowledge')}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </>
      )}

      <h3>{t('incident.requests')}</h3>
      {requests.length === 0 ? (
        <p className="muted">{t('incident.requestsEmpty')}</p>
      ) : (
        <ul className="request-list" aria-live="polite">
          {requests.map((r) => (
            <li key={r.id} className={`request request-${r.state}`} data-unit={r.callsign}>
              <span className="request-head">
                <span className="request-callsign">{r.callsign}</span>
                <RequestStateChip state={r.state} />
              </span>
              <span className="request-meta">
                {t('incident.requestMeta', {
                  name: r.requestedBy,
                  time: formatClock(r.createdAt, lang),
                  distance: formatDistance(r.distanceM, lang),
                  eta: formatEta(r.etaS),
                })}
              </span>
              {r.declineReason && (
                <span className="request-meta">
                  {t('incident.declineReason', { reason: r.declineReason })}
                </span>
              )}
              {dispatcher && !REQUEST_STATE_VIEW[r.state].terminal && (
                <button
                  type="button"
                  className="button button-quiet button-small request-cancel"
                  aria-label={t('incident.cancelRequestLabel', { unit: r.callsign })}
                  onClick={() => cancel(r)}
                >
                  {t('incident.cancelRequest')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {!closed &&
        (dispatcher ? (
          <DispatchPanel
            key={incident.id}
            incidentId={incident.id}
            requests={requests}
            onRequested={props.onRequests}
            onSignedOut={onSignedOut}
          />
        ) : (
          <p className="muted">{t('dispatch.operatorHint')}</p>
        ))}

      <h3>{t('incident.timeline')}</h3>
      <TimelineList timeline={timeline} />
      {!closed && (
        <NoteForm
          incidentId={incident.id}
          onSaved={(entry) =>
            setTimeline((prev) =>
              prev.kind === 'ready' && !prev.entries.some((e) => e.id === entry.id)
                ? { kind: 'ready', entries: [...prev.entries, entry] }
                : prev,
            )
          }
          onError={failed}
        />
      )}
      {!closed && canCloseIncident(role) && (
        <CloseForm incident={incident} onClosed={props.onIncident} onError={failed} />
      )}
    </section>
  );
}

function TimelineList({ timeline }: { timeline: Timeline }) {
  const { t, lang } = usePreferences();
  if (timeline.kind === 'loading') return <p className="muted">{t('incident.timelineLoading')}</p>;
  if (timeline.kind === 'error') return <p className="form-error">{t('incident.timelineError')}</p>;
  if (timeline.entries.length === 0) return <p className="muted">{t('incident.timelineEmpty')}</p>;
  // newest first, like the unit's stage history
  const entries = [...timeline.entries].reverse();
  return (
    <ol className="timeline">
      {entries.map((e) => (
        <li key={e.id} className={`timeline-entry timeline-${e.kind}`}>
          <time dateTime={new Date(e.at).toISOString()}>{formatClock(e.at, lang)}</time>
          <span className="timeline-kind">{t(`incident.timeline.${e.kind}`)}</span>
          <span className="timeline-text">
            {timelineText(e, t)}
            {e.actor && <span className="timeline-actor"> – {e.actor}</span>}
          </span>
        </li>
      ))}
    </ol>
  );
}

function NoteForm({
  incidentId,
  onSaved,
  onError,
}: {
  incidentId: string;
  onSaved(entry: TimelineEntry): void;
  onError(err: unknown): void;
}) {
  const { t } = usePreferences();
  const id = useId();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="note-form"
      onSubmit={async (e) => {
        e.preventDefault();
        if (!text.trim()) return;
        setBusy(true);
        try {
          const res = await addNote(incidentId, text.trim());
          onSaved(res.entry);
          setText('');
        } catch (err) {
          onError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <div className="field field-compact">
        <label htmlFor={id}>{t('incident.note.label')}</label>
        <textarea id={id} rows={2} maxLength={2000} value={text} onChange={(e) => setText(e.target.value)} />
      </div>
      <button type="submit" className="button button-small" disabled={busy || !text.trim()}>
        {busy ? t('incident.note.saving') : t('incident.note.submit')}
      </button>
    </form>
  );
}

function CloseForm({
  incident,
  onClosed,
  onError,
}: {
  incident: Incident;
  onClosed(incident: Incident): void;
  onError(err: unknown): void;
}) {
  const { t } = usePreferences();
  const id = useId();
  const [outcome, setOutcome] = useState<IncidentOutcome>('resolved');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <details className="close-incident">
      <summary>{t('incident.close.title')}</summary>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          try {
            const res = await closeIncident(incident.id, outcome, note.trim());
            onClosed(res.incident);
          } catch (err) {
            onError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <div className="field field-compact">
          <label htmlFor={`${id}-outcome`}>{t('incident.close.outcome')}</label>
          <select
            id={`${id}-outcome`}
            value={outcome}
            onChange={(e) => setOutcome(IncidentOutcome.parse(e.target.value))}
          >
            {IncidentOutcome.options.map((o) => (
              <option key={o} value={o}>
                {t(`incident.outcome.${o}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-compact">
          <label htmlFor={`${id}-note`}>{t('incident.close.note')}</label>
          <textarea
            id={`${id}-note`}
            rows={2}
            maxLength={2000}
            value={note}
            onChange={(e) => setNote(e.target.value)}
          />
        </div>
        <button type="submit" className="button button-danger button-small" disabled={busy}>
          {t('incident.close.submit')}
        </button>
      </form>
    </details>
  );
}

/** Supervisors re-rate an open incident; every screen gets the change as an `incident` upsert. */
function PriorityPicker({
  incident,
  onChanged,
  onError,
}: {
  incident: Incident;
  onChanged(incident: Incident): void;
  onError(err: unknown): void;
}) {
  const { t } = usePreferences();
  const id = useId();
  const [busy, setBusy] = useState(false);
  return (
    <span className={`priority-badge priority-badge-${incident.priority} priority-picker`}>
      <label htmlFor={id}>{t('priority.label')}</label>{' '}
      <select
        id={id}
        value={incident.priority}
        disabled={busy}
        onChange={async (e) => {
          setBusy(true);
          try {
            onChanged((await setPriority(incident.id, Number(e.target.value))).incident);
          } catch (err) {
            onError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        {([1, 2, 3] as const).map((p) => (
          <option key={p} value={p}>
            {t(`priority.${p}`)}
          </option>
        ))}
      </select>
    </span>
  );
}
