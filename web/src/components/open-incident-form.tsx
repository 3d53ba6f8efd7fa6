'use client';
/**
 * Opening an incident by hand, for a unit (from its detail) or at a map point (map pick mode):
 * priority and an optional summary. The new incident is handed back so the page can select it; the
 * socket's `incident` upsert follows for every other screen.
 */
import type { Incident, LatLng } from '@lagebild/protocol';
import { useEffect, useId, useRef, useState } from 'react';
import { ApiError } from '@/lib/api';
import { openIncident } from '@/lib/dispatch-api';
import { formatCoordinate } from '@/lib/format';
import { usePreferences } from './preferences-provider';

export type IncidentTarget = { unitId: string; callsign: string } | { location: LatLng };

export interface OpenIncidentFormProps {
  target: IncidentTarget;
  onOpened(incident: Incident): void;
  onCancel(): void;
  onSignedOut(): void;
}

export function OpenIncidentForm({ target, onOpened, onCancel, onSignedOut }: OpenIncidentFormProps) {
  const { t, lang } = usePreferences();
  const id = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [priority, setPriority] = useState<1 | 2 | 3>(2);
  const [summary, setSummary] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // the form appears in response to a click elsewhere: move focus to it
  useEffect(() => headingRef.current?.focus(), []);

  async function submit() {
    setBusy(true);
    setError(null);
    try {
      const body =
        'unitId' in target
          ? { unitId: target.unitId, priority, summary: summary.trim() }
          : { location: target.location, priority, summary: summary.trim() };
      const res = await openIncident(body);
      onOpened(res.incident);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'unauthenticated') onSignedOut();
      else setError(t('openIncident.failed', { message: err instanceof Error ? err.message : String(err) }));
      setBusy(false);
    }
  }

  return (
    <form
      className="open-incident-form"
      aria-labelledby={`${id}-title`}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
    >
      <h3 id={`${id}-title`} ref={headingRef} tabIndex={-1}>
        {'unitId' in target
          ? t('openIncident.titleUnit', { unit: target.callsign })
          : t('openIncident.titlePoint')}
      </h3>
      {'location' in target && (
        <p className="muted">
          {t('openIncident.point', {
            lat: formatCoordinate(target.location.lat, lang),
            lng: formatCoordinate(target.location.lng, lang),
          })}
        </p>
      )}
      <fieldset className="priority-choice">
        <legend>{t('priority.label')}</legend>
        {([1, 2, 3] as const).map((p) => (
          <label key={p} className={`priority-option priority-option-${p}`}>
            <input
              type="radio"
              name={`${id}-priority`}
              value={p}
              checked={priority === p}
              onChange={() => setPriority(p)}
            />
            {t(`priority.${p}`)}
          </label>
        ))}
      </fieldset>
      <div className="field field-compact">
        <label htmlFor={`${id}-summary`}>{t('openIncident.summary')}</label>
        <input
          id={`${id}-summary`}
          type="text"
          maxLength={500}
          value={summary}
          onChange={(e) => setSummary(e.target.value)}
        />
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="button-row">
        <button type="submit" className="button button-primary button-small" disabled={busy}>
          {busy ? t('openIncident.submitting') : t('openIncident.submit')}
        </button>
        <button type="button" className="button button-small" onClick={onCancel}>
          {t('openIncident.cancel')}
        </button>
      </div>
    </form>
  );
}

/** "Open incident" under a unit's detail: a button that unfolds the form for this unit. */
export function UnitIncidentAction({
  unitId,
  callsign,
  onOpened,
  onSignedOut,
}: {
  unitId: string;
  callsign: string;
  onOpened(incident: Incident): void;
  onSignedOut(): void;
}) {
  const { t } = usePreferences();
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  if (!open) {
    return (
      <button
        ref={buttonRef}
        type="button"
        className="button button-small open-incident-button"
        onClick={() => setOpen(true)}
      >
        {t('openIncident.button')}
      </button>
    );
  }
  return (
    <OpenIncidentForm
      target={{ unitId, callsign }}
      onOpened={(incident) => {
        setOpen(false);
        onOpened(incident);
      }}
      onCancel={() => setOpen(false)}
      onSignedOut={onSignedOut}
    />
  );
}
