'use client';
/**
 * /reports/: the short report after an episode, on a phone at the scene or at the end of the shift.
 * Lists the tenant's episodes of the last 24 h without a report; the officer (or the shift lead for
 * them) picks one and answers four questions. The device API files the same report (`report` on
 * /device). One column, large targets; the free text stays in the municipality.
 */
import {
  Assault,
  FileReportResponse,
  IncidentContext,
  type MeResponse,
  type PendingEpisode,
  PendingEpisodesResponse,
  REPORT_ROLES,
} from '@lagebild/protocol';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { apiGet, apiPost } from '@/lib/api';
import { formatDateTime } from '@/lib/format';
import type { MessageKey } from '@/lib/i18n';
import { RolePage } from '../page-frame';
import { usePreferences } from '../preferences-provider';
import './evaluation.css';

export function OfficerReportPage({ me }: { me: MeResponse }) {
  const { t } = usePreferences();
  return (
    <RolePage
      me={me}
      allowed={REPORT_ROLES.includes(me.user.role)}
      forbidden={t('report.forbidden')}
      mainClassName="report-page"
    >
      <ReportForm />
    </RolePage>
  );
}

const keyOf = (e: PendingEpisode) => `${e.deviceId}:${e.startedAt}`;

function ReportForm() {
  const { t, lang } = usePreferences();
  const [episodes, setEpisodes] = useState<PendingEpisode[] | null>(null);
  const [selected, setSelected] = useState('');
  const [assault, setAssault] = useState<Assault>('none');
  const [context, setContext] = useState<IncidentContext>('traffic_control');
  const [announced, setAnnounced] = useState(false);
  const [note, setNote] = useState('');
  const [message, setMessage] = useState('');
  const load = useCallback(() => {
    apiGet('/api/reports/pending', PendingEpisodesResponse).then(
      (r) => setEpisodes(r.episodes),
      () => setEpisodes([]),
    );
  }, []);
  useEffect(load, [load]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const ep = episodes?.find((x) => keyOf(x) === selected);
    if (!ep) return setMessage(t('report.pick'));
    try {
      await apiPost(
        '/api/reports',
        {
          deviceId: ep.deviceId,
          reportId: crypto.randomUUID(),
          episodeAt: ep.startedAt,
          assault,
          context,
          announcementGiven: announced,
          note,
        },
        FileReportResponse,
      );
      setMessage(t('report.saved'));
      setSelected('');
      setNote('');
      load();
    } catch (err) {
      setMessage(t('app.error.generic', { message: err instanceof Error ? err.message : String(err) }));
    }
  }

  return (
    <form className="card report-form" onSubmit={submit} aria-labelledby="report-title">
      <h1 id="report-title">{t('report.title')}</h1>
      <p className="muted">{t('report.intro')}</p>
      <fieldset>
        <legend>{t('report.episode')}</legend>
        {episodes === null && <p role="status">{t('eval.loading')}</p>}
        {episodes?.length === 0 && <p>{t('report.none')}</p>}
        {episodes?.map((ep) => (
          <label key={keyOf(ep)} className="report-choice">
            <input
              type="radio"
              name="episode"
              value={keyOf(ep)}
              checked={selected === keyOf(ep)}
              onChange={() => setSelected(keyOf(ep))}
            />
            <span>
              {ep.callsign ?? t('units.noCallsign')} · {formatDateTime(ep.startedAt, lang)} ·{' '}
              {t(`stage.${ep.maxStage}` as MessageKey)}
            </span>
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>{t('report.assault')}</legend>
        {Assault.options.map((a) => (
          <label key={a} className="report-choice">
            <input
              type="radio"
              name="assault"
              value={a}
              checked={assault === a}
              onChange={() => setAssault(a)}
            />
            <span>{t(`report.assault.${a}` as MessageKey)}</span>
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="report-context">{t('eval.context')}</label>
        <select
          id="report-context"
          value={context}
          onChange={(e) => setContext(e.target.value as IncidentContext)}
        >
          {IncidentContext.options.map((c) => (
            <option key={c} value={c}>
              {t(`eval.context.${c}` as MessageKey)}
            </option>
          ))}
        </select>
      </div>
      <label className="report-choice">
        <input type="checkbox" checked={announced} onChange={(e) => setAnnounced(e.target.checked)} />
        <span>{t('report.announced')}</span>
      </label>
      <div className="field">
        <label htmlFor="report-note">{t('report.note')}</label>
        <textarea
          id="report-note"
          rows={3}
          maxLength={1000}
          value={note}
          onChange={(e) => setNote(e.target.value)}
        />
        <span className="field-hint">{t('report.noteHint')}</span>
      </div>
      <button type="submit" className="button button-primary button-wide">
        {t('report.submit')}
      </button>
      <p className="notice-line" role="status">
        {message}
      </p>
    </form>
  );
}
