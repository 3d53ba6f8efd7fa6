'use client';
/**
 * /evaluation/report/: the same figures as a document a municipality can hand to its council.
 * Print CSS hides navigation and keeps sections on one page where possible (print to PDF).
 */
import { type MeResponse, STATS_ROLES } from '@lagebild/protocol';
import { useEffect, useState } from 'react';
import { type EvaluationFilter, filterFromQuery, filterToQuery } from '@/lib/evaluation';
import { formatDateTime } from '@/lib/format';
import { ForbiddenNotice } from '../forbidden-notice';
import { usePreferences } from '../preferences-provider';
import { EvaluationFigures } from './figures';
import { useEvaluation } from './use-evaluation';
import './evaluation.css';

export function EvaluationReport({ me }: { me: MeResponse }) {
  const { t, lang } = usePreferences();
  const [filter, setFilter] = useState<EvaluationFilter | null>(null);
  useEffect(() => setFilter(filterFromQuery(window.location.search, new Date())), []);
  const state = useEvaluation(filter, 0, 'report');
  // the period the figures are about: the requested one widened to whole months by the gateway
  const period = state.kind === 'ready' ? state.data.summary.query : filter;
  if (!STATS_ROLES.includes(me.user.role)) {
    return (
      <main id="main" className="page-main">
        <ForbiddenNotice message={t('forbidden.evaluation')} />
      </main>
    );
  }
  return (
    <main id="main" className="eval-report">
      <div className="button-row no-print">
        <a className="button" href={`/evaluation/?${filter ? filterToQuery(filter) : ''}`}>
          {t('eval.report.back')}
        </a>
        <button type="button" className="button button-primary" onClick={() => window.print()}>
          {t('eval.report.print')}
        </button>
      </div>
      <header className="eval-report-head">
        <h1>{t('eval.report.title')}</h1>
        {period && (
          <p>
            {t('eval.report.subtitle', { tenant: me.user.tenant.name, from: period.from, to: period.to })}
            <br />
            <span className="muted">{formatDateTime(Date.now(), lang)}</span>
          </p>
        )}
      </header>
      {state.kind === 'loading' && <p role="status">{t('eval.loading')}</p>}
      {state.kind === 'error' && (
        <p role="alert" className="form-error">
          {t('app.error.generic', { message: state.error.message })}
        </p>
      )}
      {state.kind === 'ready' && (
        <>
          <EvaluationFigures data={state.data} />
          <section className="card eval-section" aria-labelledby="eval-method">
            <h2 id="eval-method">{t('eval.report.method.title')}</h2>
            <p>
              {t('eval.report.method', {
                quiet: state.data.summary.quietSeconds,
                min: state.data.summary.minCell,
              })}
            </p>
          </section>
        </>
      )}
    </main>
  );
}
