'use client';
/**
 * /evaluation/: the evaluator's dashboard. Filters live in the URL (so the printable report and a
 * bookmark show the same selection); the figures come from the statistics API; evaluators and
 * admins enter baseline periods here. The gateway enforces every role check as well.
 */
import {
  BaselinePeriod,
  BaselinesResponse,
  IncidentContext,
  type MeResponse,
  STATS_ROLES,
  StatsTeamsResponse,
} from '@lagebild/protocol';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { ApiError, apiGet, apiPost } from '@/lib/api';
import { formatDateText } from '@/lib/date-input';
import { type EvaluationFilter, filterFromQuery, filterToQuery, formatNumber } from '@/lib/evaluation';
import type { MessageKey } from '@/lib/i18n';
import { DateField } from '../date-field';
import { RolePage } from '../page-frame';
import { usePreferences } from '../preferences-provider';
import { EvaluationFigures } from './figures';
import { useEvaluation } from './use-evaluation';
import './evaluation.css';

export function EvaluationDashboard({ me }: { me: MeResponse }) {
  const { t } = usePreferences();
  const allowed = STATS_ROLES.includes(me.user.role);
  return (
    <RolePage me={me} allowed={allowed} forbidden={t('forbidden.evaluation')} mainClassName="eval-page">
      <Dashboard me={me} />
    </RolePage>
  );
}

function Dashboard({ me }: { me: MeResponse }) {
  const { t } = usePreferences();
  const [filter, setFilter] = useState<EvaluationFilter | null>(null);
  const [reload, setReload] = useState(0);
  useEffect(() => setFilter(filterFromQuery(window.location.search, new Date())), []);
  const state = useEvaluation(filter, reload);
  const apply = useCallback((f: EvaluationFilter) => {
    setFilter(f);
    window.history.replaceState(null, '', `?${filterToQuery(f)}`);
  }, []);
  const query = filter ? filterToQuery(filter) : '';
  return (
    <>
      <div className="eval-head">
        <div>
          <h1>{t('eval.title')}</h1>
          <p className="muted">{t('eval.intro', { min: 5 })}</p>
        </div>
        {filter && (
          <div className="button-row no-print">
            <a className="button" href={`/api/stats/export.csv?${query}`} download>
              {t('eval.export.csv')}
            </a>
            <a className="button" href={`/evaluation/report/?${query}`}>
              {t('eval.export.print')}
            </a>
          </div>
        )}
      </div>
      {filter && <Filters filter={filter} onApply={apply} />}
      {state.kind === 'loading' && <p role="status">{t('eval.loading')}</p>}
      {state.kind === 'error' && (
        <p role="alert" className="form-error">
          {state.error.code === 'forbidden'
            ? t('forbidden.evaluation')
            : t('app.error.generic', { message: state.error.message })}
        </p>
      )}
      {state.kind === 'ready' && <EvaluationFigures data={state.data} />}
      {(me.user.role === 'evaluator' || me.user.role === 'admin') && (
        <Baselines onChange={() => setReload((n) => n + 1)} />
      )}
    </>
  );
}

const HOURS = Array.from({ length: 24 }, (_, h) => h);

function Filters({ filter, onApply }: { filter: EvaluationFilter; onApply: (f: EvaluationFilter) => void }) {
  const { t } = usePreferences();
  const [draft, setDraft] = useState(filter);
  const [teams, setTeams] = useState<string[]>([]);
  useEffect(() => setDraft(filter), [filter]);
  useEffect(() => {
    apiGet('/api/stats/teams', StatsTeamsResponse).then(
      (r) => setTeams(r.teams),
      () => setTeams([]),
    );
  }, []);
  function submit(e: FormEvent) {
    e.preventDefault();
    if (draft.from && draft.to && draft.from <= draft.to) onApply(draft);
  }
  const opt = (v: string | number | undefined) => (v === undefined ? '' : String(v));
  // one filter at a time (the gateway refuses combinations): choosing one clears the others
  const only = (f: Partial<Pick<EvaluationFilter, 'team' | 'context' | 'weekday' | 'hour'>>) =>
    setDraft({ from: draft.from, to: draft.to, ...f });
  return (
    <form className="card eval-filters no-print" onSubmit={submit} aria-label={t('eval.filters')}>
      <DateField
        id="eval-from"
        label={t('eval.from')}
        value={draft.from}
        required
        onChange={(from) => setDraft((d) => ({ ...d, from }))}
      />
      <DateField
        id="eval-to"
        label={t('eval.to')}
        value={draft.to}
        required
        onChange={(to) => setDraft((d) => ({ ...d, to }))}
      />
      <div className="field field-compact">
        <label htmlFor="eval-team">{t('eval.team')}</label>
        <select
          id="eval-team"
          value={opt(draft.team)}
          onChange={(e) => only({ team: e.target.value || undefined })}
        >
          <option value="">{t('eval.team.all')}</option>
          {teams.map((team) => (
            <option key={team} value={team}>
              {team}
            </option>
          ))}
        </select>
      </div>
      <div className="field field-compact">
        <label htmlFor="eval-context">{t('eval.context')}</label>
        <select
          id="eval-context"
          value={opt(draft.context)}
          onChange={(e) => only({ context: (e.target.value || undefined) as EvaluationFilter['context'] })}
        >
          <option value="">{t('eval.context.all')}</option>
          {[...IncidentContext.options, 'unreported' as const].map((c) => (
            <option key={c} value={c}>
              {t(`eval.context.${c}` as MessageKey)}
            </option>
          ))}
        </select>
      </div>
      <div className="field field-compact">
        <label htmlFor="eval-weekday">{t('eval.weekday')}</label>
        <select
          id="eval-weekday"
          value={opt(draft.weekday)}
          onChange={(e) => only({ weekday: e.target.value ? Number(e.target.value) : undefined })}
        >
          <option value="">{t('eval.weekday.all')}</option>
          {[1, 2, 3, 4, 5, 6, 7].map((d) => (
            <option key={d} value={d}>
              {t(`eval.weekday.${d}` as MessageKey)}
            </option>
          ))}
        </select>
      </div>
      <div className="field field-compact">
        <label htmlFor="eval-hour">{t('eval.hour')}</label>
        <select
          id="eval-hour"
          value={opt(draft.hour)}
          onChange={(e) => only({ hour: e.target.value ? Number(e.target.value) : undefined })}
        >
          <option value="">{t('eval.hour.all')}</option>
          {HOURS.map((h) => (
            <option key={h} value={h}>
              {t('eval.hour.value', {
                hour: String(h).padStart(2, '0'),
                next: String((h + 1) % 24).padStart(2, '0'),
              })}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="button button-primary">
        {t('eval.filters')}
      </button>
      <p className="muted">{t('eval.filters.one')}</p>
    </form>
  );
}

function Baselines({ onChange }: { onChange: () => void }) {
  const { t, lang } = usePreferences();
  const [list, setList] = useState<BaselinePeriod[]>([]);
  const [message, setMessage] = useState('');
  const [form, setForm] = useState({ label: '', startsOn: '', endsOn: '', officerHours: '', assaults: '' });
  const load = useCallback(() => {
    apiGet('/api/baselines', BaselinesResponse).then(
      (r) => setList(r.baselines),
      () => setList([]),
    );
  }, []);
  useEffect(load, [load]);
  async function add(e: FormEvent) {
    e.preventDefault();
    try {
      await apiPost(
        '/api/baselines',
        {
          label: form.label,
          startsOn: form.startsOn,
          endsOn: form.endsOn,
          officerHours: Number(form.officerHours),
          assaults: Number(form.assaults),
        },
        BaselinePeriod,
      );
      setForm({ label: '', startsOn: '', endsOn: '', officerHours: '', assaults: '' });
      setMessage(t('eval.baseline.added'));
      load();
      onChange();
    } catch (err) {
      setMessage(
        err instanceof ApiError && err.code === 'bad_request' ? t('eval.baseline.invalid') : String(err),
      );
    }
  }
  async function remove(id: string) {
    await fetch(`/api/baselines/${id}`, { method: 'DELETE', credentials: 'same-origin' });
    load();
    onChange();
  }
  const field = (key: keyof typeof form, label: MessageKey, type: string) => (
    <div className="field field-compact">
      <label htmlFor={`bl-${key}`}>{t(label)}</label>
      <input
        id={`bl-${key}`}
        type={type}
        required
        min={type === 'number' ? 0 : undefined}
        step={type === 'number' ? 'any' : undefined}
        value={form[key]}
        onChange={(e) => setForm({ ...form, [key]: e.target.value })}
      />
    </div>
  );
  return (
    <section aria-labelledby="eval-baselines" className="card eval-section no-print">
      <h2 id="eval-baselines">{t('eval.baseline.title')}</h2>
      {list.length > 0 && (
        <ul className="eval-baseline-list">
          {list.map((b) => (
            <li key={b.id}>
              <span>
                {b.label}: {formatDateText(b.startsOn, 'date', lang)} –{' '}
                {formatDateText(b.endsOn, 'date', lang)}, {formatNumber(b.assaults, lang)} /{' '}
                {formatNumber(b.officerHours, lang)} h
              </span>
              <button
                type="button"
                className="button button-small button-danger"
                aria-label={t('eval.baseline.deleteLabel', { label: b.label })}
                onClick={() => void remove(b.id)}
              >
                {t('eval.baseline.delete')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="eval-filters" onSubmit={add}>
        {field('label', 'eval.baseline.label', 'text')}
        <DateField
          id="bl-startsOn"
          label={t('eval.baseline.startsOn')}
          value={form.startsOn}
          required
          onChange={(startsOn) => setForm((f) => ({ ...f, startsOn }))}
        />
        <DateField
          id="bl-endsOn"
          label={t('eval.baseline.endsOn')}
          value={form.endsOn}
          required
          onChange={(endsOn) => setForm((f) => ({ ...f, endsOn }))}
        />
        {field('officerHours', 'eval.baseline.officerHours', 'number')}
        {field('assaults', 'eval.baseline.assaults', 'number')}
        <button type="submit" className="button">
          {t('eval.baseline.add')}
        </button>
      </form>
      <p className="notice-line" role="status">
        {message}
      </p>
    </section>
  );
}
