'use client';
/**
 * /recordings/: the recordings library (issue 6). Filters by unit, incident, class and day; every row
 * counts down to its deletion; a row opens the detail with player and actions beside the table.
 * Evaluators never get here (no nav entry, and the gateway answers 403); operators see their tenant
 * only because the gateway lists only that.
 */
import {
  IncidentsResponse,
  type MeResponse,
  type PendingApproval,
  RECORDING_ROLES,
  RETENTION_ROLES,
  type RecordingView,
  RetentionClass,
  UnitsResponse,
} from '@lagebild/protocol';
import { useCallback, useEffect, useId, useState } from 'react';
import { apiGet } from '@/lib/api';
import { formatDateTime } from '@/lib/format';
import { plural } from '@/lib/plural';
import { listPendingApprovals, listRecordings, type RecordingFilter } from '@/lib/recordings-api';
import { DateField } from '../date-field';
import { ForbiddenNotice } from '../forbidden-notice';
import { RolePage } from '../page-frame';
import { usePreferences } from '../preferences-provider';
import { usePageApiError } from '../use-page-api-error';
import { ContinuationNote } from './continuation-note';
import { DeletionCell } from './deletion-cell';
import { approvalText, ClassBadge, RecordingPanel, unitName } from './recording-panel';
import './recordings.css';

const COUNTDOWN_TICK_MS = 30_000;

export function RecordingsLibrary({ me }: { me: MeResponse }) {
  const { t } = usePreferences();
  return (
    <RolePage me={me} allowed={RECORDING_ROLES.includes(me.user.role)} forbidden={t('forbidden.recordings')}>
      <LibraryContent me={me} />
    </RolePage>
  );
}

type ListState =
  | { kind: 'loading' }
  | { kind: 'ready'; recordings: RecordingView[]; retentionDays: number }
  | { kind: 'error'; message: string };

function LibraryContent({ me }: { me: MeResponse }) {
  const { t, lang } = usePreferences();
  const id = useId();
  const [filter, setFilter] = useState<RecordingFilter>({});
  // "reset" also clears a day typed wrong, which never reached the filter
  const [resets, setResets] = useState(0);
  const [list, setList] = useState<ListState>({ kind: 'loading' });
  const [units, setUnits] = useState<Array<{ id: string; callsign: string }>>([]);
  const [incidents, setIncidents] = useState<Array<{ id: string; number: string }>>([]);
  const [selected, setSelected] = useState<{ id: string; play: boolean } | null>(null);
  // the server's clock, so the countdown does not depend on the workstation's
  const [skewMs, setSkewMs] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  const { forbidden, describeError } = usePageApiError();
  const [pending, setPending] = useState<PendingApproval[]>([]);
  const mayDecide = RETENTION_ROLES.includes(me.user.role);

  const loadPending = useCallback(() => {
    if (!mayDecide) return;
    listPendingApprovals().then(
      (r) => setPending(r.approvals),
      () => {},
    );
  }, [mayDecide]);
  useEffect(loadPending, [loadPending]);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), COUNTDOWN_TICK_MS);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    const ac = new AbortController();
    apiGet('/api/units', UnitsResponse, ac.signal).then(
      (r) =>
        setUnits(
          r.units
            .map((u) => ({ id: u.id, callsign: u.callsign }))
            .sort((a, b) => a.callsign.localeCompare(b.callsign)),
        ),
      () => {},
    );
    apiGet('/api/incidents', IncidentsResponse, ac.signal).then(
      (r) => setIncidents(r.incidents.map((i) => ({ id: i.id, number: i.number }))),
      () => {},
    );
    return () => ac.abort();
  }, []);

  const load = useCallback(
    (signal?: AbortSignal) => {
      setList((l) => (l.kind === 'ready' ? l : { kind: 'loading' }));
      listRecordings(filter, signal).then(
        (r) => {
          setSkewMs(r.now - Date.now());
          setNow(Date.now());
          setList({ kind: 'ready', recordings: r.recordings, retentionDays: r.retentionDays });
        },
        (err) => {
          if (err instanceof DOMException && err.name === 'AbortError') return;
          setList({ kind: 'error', message: describeError(err) });
        },
      );
    },
    [filter, describeError],
  );

  useEffect(() => {
    const ac = new AbortController();
    load(ac.signal);
    return () => ac.abort();
  }, [load]);

  const replaceRow = useCallback(
    (r: RecordingView) => {
      setList((l) =>
        l.kind === 'ready' ? { ...l, recordings: l.recordings.map((x) => (x.id === r.id ? r : x)) } : l,
      );
      loadPending();
    },
    [loadPending],
  );

  if (forbidden) return <ForbiddenNotice message={t('forbidden.recordings')} />;

  const recordings = list.kind === 'ready' ? list.recordings : [];
  // a pending request may concern a recording the filters hide
  const current = selected
    ? (recordings.find((r) => r.id === selected.id) ??
      pending.find((a) => a.recordingId === selected.id)?.recording)
    : undefined;
  const serverNow = now + skewMs;
  // incidents no longer open still name their recordings: fall back to a short id
  const incidentOptions = [
    ...incidents,
    ...[...new Set(recordings.map((r) => r.incidentId).filter((x): x is string => !!x))]
      .filter((x) => !incidents.some((i) => i.id === x))
      .map((x) => ({ id: x, number: x.slice(0, 8) })),
  ];
  const incidentNumber = (x: string) => incidentOptions.find((i) => i.id === x)?.number ?? x.slice(0, 8);
  const set = (patch: Partial<RecordingFilter>) => setFilter((f) => ({ ...f, ...patch }));

  return (
    <div className={`rec-page${current ? ' has-detail' : ''}`}>
      <div className="rec-main">
        <header className="rec-head">
          <h1>{t('rec.title')}</h1>
          <p className="muted">
            {t('rec.intro')}
            {list.kind === 'ready' && (
              <> {plural(t, lang, 'rec.retention', list.retentionDays, { days: list.retentionDays })}</>
            )}
          </p>
        </header>
        <search className="rec-filters" aria-label={t('rec.filters')}>
          <div className="field field-compact">
            <label htmlFor={`${id}-unit`}>{t('rec.filter.unit')}</label>
            <select
              id={`${id}-unit`}
              value={filter.unitId ?? ''}
              onChange={(e) => set({ unitId: e.target.value || undefined })}
            >
              <option value="">{t('rec.filter.all')}</option>
              {units.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.callsign}
                </option>
              ))}
            </select>
          </div>
          <div className="field field-compact">
            <label htmlFor={`${id}-incident`}>{t('rec.filter.incident')}</label>
            <select
              id={`${id}-incident`}
              value={filter.incidentId ?? ''}
              onChange={(e) => set({ incidentId: e.target.value || undefined })}
            >
              <option value="">{t('rec.filter.all')}</option>
              {incidentOptions.map((i) => (
                <option key={i.id} value={i.id}>
                  {i.number}
                </option>
              ))}
            </select>
          </div>
          <div className="field field-compact">
            <label htmlFor={`${id}-class`}>{t('rec.filter.class')}</label>
            <select
              id={`${id}-class`}
              value={filter.retention ?? ''}
              onChange={(e) =>
                set({ retention: e.target.value ? RetentionClass.parse(e.target.value) : undefined })
              }
            >
              <option value="">{t('rec.filter.all')}</option>
              {RetentionClass.options.map((c) => (
                <option key={c} value={c}>
                  {t(`rec.class.${c}`)}
                </option>
              ))}
            </select>
          </div>
          <DateField
            key={`from-${resets}`}
            id={`${id}-from`}
            label={t('rec.filter.from')}
            value={filter.from ?? ''}
            onChange={(from) => set({ from: from || undefined })}
          />
          <DateField
            key={`to-${resets}`}
            id={`${id}-to`}
            label={t('rec.filter.to')}
            value={filter.to ?? ''}
            onChange={(to) => set({ to: to || undefined })}
          />
          <button
            type="button"
            className="button button-small button-quiet"
            onClick={() => {
              setFilter({});
              setResets((n) => n + 1);
            }}
          >
            {t('rec.filter.reset')}
          </button>
        </search>

        {pending.length > 0 && (
          <section className="rec-pending" aria-labelledby={`${id}-pending`}>
            <h2 id={`${id}-pending`}>{t('rec.pending.title', { count: pending.length })}</h2>
            <ul>
              {pending.map((a) => {
                const unit = unitName(a.recording, t);
                const date = formatDateTime(a.recording.startedAt, lang);
                return (
                  <li key={a.id}>
                    <span>
                      <strong>{unit}</strong>, {date} · {approvalText(a, t)}: {a.reason}
                      <span className="table-sub">
                        {t('rec.pending.by', {
                          name: a.requestedByName,
                          date: formatDateTime(a.requestedAt, lang),
                        })}
                        {a.requestedBy === me.user.id && <> · {t('rec.pending.own')}</>}
                      </span>
                    </span>
                    <button
                      type="button"
                      className="button button-small"
                      aria-label={t('rec.pending.openLabel', { unit, date })}
                      onClick={() => setSelected({ id: a.recordingId, play: false })}
                    >
                      {t('rec.pending.open')}
                    </button>
                  </li>
                );
              })}
            </ul>
          </section>
        )}

        <p role="status" className="muted rec-count">
          {list.kind === 'loading'
            ? t('rec.loading')
            : list.kind === 'ready'
              ? t('rec.count', { count: recordings.length })
              : ''}
        </p>
        {list.kind === 'error' && (
          <div role="alert" className="form-error">
            {list.message}{' '}
            <button type="button" className="button button-small" onClick={() => load()}>
              {t('app.retry')}
            </button>
          </div>
        )}
        {list.kind === 'ready' && recordings.length === 0 && <p className="muted">{t('rec.empty')}</p>}
        {recordings.length > 0 && (
          <div className="table-scroll">
            <table className="data-table rec-table">
              <thead>
                <tr>
                  <th scope="col">{t('rec.col.start')}</th>
                  <th scope="col">{t('rec.col.unit')}</th>
                  <th scope="col">{t('rec.col.duration')}</th>
                  <th scope="col">{t('rec.col.class')}</th>
                  <th scope="col">{t('rec.col.deletion')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('rec.col.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {recordings.map((r) => {
                  const date = formatDateTime(r.startedAt, lang);
                  const unit = unitName(r, t);
                  const alive = r.state === 'complete' || r.state === 'incomplete';
                  return (
                    <tr key={r.id} aria-current={r.id === selected?.id ? 'true' : undefined}>
                      <th scope="row">{date}</th>
                      <td>
                        {r.callsign ?? <span className="muted">{t('rec.noUnit')}</span>}
                        <span className="table-sub">
                          {r.deviceLabel}
                          {r.incidentId && <> · {t('rec.incident', { id: incidentNumber(r.incidentId) })}</>}
                        </span>
                        <ContinuationNote recording={r} rows={recordings} />
                      </td>
                      <td className="rec-num">{r.durationS === null ? '–' : formatDuration(r.durationS)}</td>
                      <td>
                        <ClassBadge recording={r} />
                      </td>
                      <td>
                        <DeletionCell recording={r} now={serverNow} />
                      </td>
                      <td className="rec-row-actions">
                        {alive && (
                          <button
                            type="button"
                            className="button button-small button-primary"
                            aria-label={t('rec.playLabel', { unit, date })}
                            onClick={() => setSelected({ id: r.id, play: true })}
                          >
                            {t('rec.play')}
                          </button>
                        )}
                        <button
                          type="button"
                          className="button button-small"
                          aria-label={t('rec.openLabel', { unit, date })}
                          onClick={() => setSelected({ id: r.id, play: false })}
                        >
                          {t('rec.open')}
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </div>
      {current && selected && (
        <RecordingPanel
          key={`${current.id}-${selected.play}`}
          me={me}
          recording={current}
          now={serverNow}
          autoPlay={selected.play}
          onChanged={replaceRow}
          onClose={() => setSelected(null)}
        />
      )}
    </div>
  );
}

function formatDuration(s: number): string {
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
