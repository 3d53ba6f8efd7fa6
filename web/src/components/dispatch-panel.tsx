'use client';
/**
 * Requesting backup (supervisors and admins): the units the server offers, ranked by estimated
 * arrival, to tick and send in one go. The list is fetched again whenever a request of this incident
 * changes (a unit that accepted is busy now, one that declined is free again). After a refusal or a
 * timeout the next best unit not yet asked is proposed, with a one-click request.
 *
 * Mount it with `key={incidentId}`: all its state belongs to one incident.
 *
 * Per-unit refusals (another supervisor was faster: 'conflict') are shown with the server's message.
 */
import type { Candidate, CandidatesResponse, DispatchRequest } from '@lagebild/protocol';
import { useEffect, useId, useRef, useState } from 'react';
import { ApiError } from '@/lib/api';
import { dispatchUnits, getCandidates } from '@/lib/dispatch-api';
import { formatDistance, formatEta, suggestNext } from '@/lib/dispatch-view';
import { ModeIcon } from './dispatch-glyphs';
import { usePreferences } from './preferences-provider';

export interface DispatchPanelProps {
  incidentId: string;
  requests: readonly DispatchRequest[];
  onRequested(requests: DispatchRequest[]): void;
  onSignedOut(): void;
}

type Loaded = { kind: 'loading' } | { kind: 'ready'; data: CandidatesResponse } | { kind: 'error' };

export function DispatchPanel({ incidentId, requests, onRequested, onSignedOut }: DispatchPanelProps) {
  const { t, lang } = usePreferences();
  const baseId = useId();
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [messages, setMessages] = useState<string[]>([]);
  const lastData = useRef<CandidatesResponse | null>(null);

  // a change of any request state of this incident changes who is available
  const requestsKey = requests.map((r) => `${r.id}:${r.state}`).join(',');
  useEffect(() => {
    void requestsKey;
    const abort = new AbortController();
    // keep showing the previous list while refreshing, so rows do not jump away under the pointer
    if (!lastData.current) setLoaded({ kind: 'loading' });
    const timer = window.setTimeout(() => {
      getCandidates(incidentId, abort.signal).then(
        (data) => {
          lastData.current = data;
          setLoaded({ kind: 'ready', data });
          const available = new Set(data.candidates.map((c) => c.unitId));
          setSelected((s) => new Set([...s].filter((id) => available.has(id))));
        },
        (err: unknown) => {
          if (abort.signal.aborted) return;
          if (err instanceof ApiError && err.code === 'unauthenticated') onSignedOut();
          else if (!lastData.current) setLoaded({ kind: 'error' });
        },
      );
    }, 150);
    return () => {
      window.clearTimeout(timer);
      abort.abort();
    };
  }, [incidentId, requestsKey, onSignedOut]);

  const candidates = loaded.kind === 'ready' ? loaded.data.candidates : [];
  const suggestion = suggestNext(candidates, requests);

  async function send(unitIds: string[]) {
    if (unitIds.length === 0) {
      setMessages([t('dispatch.noneSelected')]);
      return;
    }
    setBusy(true);
    setMessages([]);
    try {
      const res = await dispatchUnits(incidentId, unitIds);
      const ok: DispatchRequest[] = [];
      const refused: string[] = [];
      for (const r of res.results) {
        if (r.ok) ok.push(r.request);
        else {
          const name = candidates.find((c) => c.unitId === r.unitId)?.callsign ?? r.unitId.slice(0, 8);
          refused.push(t('dispatch.refused', { unit: name, message: r.message }));
        }
      }
      onRequested(ok);
      setMessages(refused);
      setSelected(new Set());
    } catch (err) {
      if (err instanceof ApiError && err.code === 'unauthenticated') onSignedOut();
      else
        setMessages([
          t('incident.actionFailed', { message: err instanceof Error ? err.message : String(err) }),
        ]);
    } finally {
      setBusy(false);
    }
  }

  function toggle(unitId: string, on: boolean) {
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(unitId);
      else next.delete(unitId);
      return next;
    });
  }

  return (
    <section className="dispatch-panel" aria-labelledby={`${baseId}-title`}>
      <h3 id={`${baseId}-title`}>{t('dispatch.title')}</h3>
      {suggestion && (
        <div className="suggestion" role="status">
          <p className="suggestion-title">
            <span aria-hidden="true">➜ </span>
            {t('dispatch.suggest.title')}
          </p>
          <p>
            {t('dispatch.suggest.body', {
              unit: suggestion.callsign,
              distance: formatDistance(suggestion.distanceM, lang),
              eta: formatEta(suggestion.etaS),
            })}
          </p>
          <button
            type="button"
            className="button button-primary button-small"
            disabled={busy}
            onClick={() => send([suggestion.unitId])}
          >
            {t('dispatch.suggest.request', { unit: suggestion.callsign })}
          </button>
        </div>
      )}
      {loaded.kind === 'loading' && <p className="muted">{t('dispatch.candidatesLoading')}</p>}
      {loaded.kind === 'error' && <p className="form-error">{t('dispatch.candidatesError')}</p>}
      {loaded.kind === 'ready' && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void send([...selected]);
          }}
        >
          <fieldset className="candidates">
            <legend>{t('dispatch.candidates')}</legend>
            {candidates.length === 0 ? (
              <p className="muted">{t('dispatch.candidatesEmpty')}</p>
            ) : (
              <ol className="candidate-list">
                {candidates.map((c, i) => (
                  <CandidateRow
                    key={c.unitId}
                    candidate={c}
                    rank={i + 1}
                    checked={selected.has(c.unitId)}
                    suggested={suggestion?.unitId === c.unitId}
                    onToggle={(on) => toggle(c.unitId, on)}
                  />
                ))}
              </ol>
            )}
          </fieldset>
          <button
            type="submit"
            className="button button-primary dispatch-submit"
            disabled={busy || candidates.length === 0}
          >
            {busy
              ? t('dispatch.submitting')
              : selected.size > 0
                ? t('dispatch.submitCount', { n: selected.size })
                : t('dispatch.submit')}
          </button>
        </form>
      )}
      <div className="dispatch-messages" role="status">
        {messages.map((m) => (
          <p key={m} className="form-error">
            {m}
          </p>
        ))}
      </div>
      {loaded.kind === 'ready' && loaded.data.unavailable.length > 0 && (
        <details className="unavailable">
          <summary>{t('dispatch.unavailable', { n: loaded.data.unavailable.length })}</summary>
          <ul>
            {loaded.data.unavailable.map((u) => (
              <li key={u.unitId}>
                {u.callsign}: {t(`dispatch.reason.${u.reason}`)}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

function CandidateRow({
  candidate,
  rank,
  checked,
  suggested,
  onToggle,
}: {
  candidate: Candidate;
  rank: number;
  checked: boolean;
  suggested: boolean;
  onToggle(on: boolean): void;
}) {
  const { t, lang } = usePreferences();
  const inputId = useId();
  return (
    <li className={`candidate${suggested ? ' is-suggested' : ''}${checked ? ' is-checked' : ''}`}>
      <input
        id={inputId}
        type="checkbox"
        checked={checked}
        onChange={(e) => onToggle(e.currentTarget.checked)}
      />
      <label htmlFor={inputId} className="candidate-label">
        <span className="candidate-rank" aria-hidden="true">
          {rank}
        </span>
        <span className="candidate-main">
          <span className="candidate-callsign">{candidate.callsign}</span>
          <span className="candidate-team">{candidate.team}</span>
        </span>
        <span className="candidate-numbers">
          <span className="candidate-eta">{formatEta(candidate.etaS)}</span>
          <span className="candidate-distance">{formatDistance(candidate.distanceM, lang)}</span>
        </span>
        <span className="candidate-mode" title={t(`dispatch.mode.${candidate.mode}`)}>
          <ModeIcon mode={candidate.mode} />
          <span className="visually-hidden">{t(`dispatch.mode.${candidate.mode}`)}</span>
        </span>
        {suggested && <span className="suggested-badge">{t('dispatch.suggested')}</span>}
      </label>
    </li>
  );
}
