'use client';
/** The figures of one selection: key numbers, funnel, trend, heat map, contexts, before/after. */
import type { RetentionFigures, RetentionSummary, StatsSummary } from '@lagebild/protocol';
import { formatDateText } from '@/lib/date-input';
import { formatNumber, formatPercent } from '@/lib/evaluation';
import type { MessageKey } from '@/lib/i18n';
import { usePreferences } from '../preferences-provider';
import { FunnelChart, HeatmapChart, SeriesChart } from './charts';
import type { EvaluationData } from './use-evaluation';

export function EvaluationFigures({ data }: { data: EvaluationData }) {
  const { t, lang } = usePreferences();
  const { summary: s, series, heat, byContext } = data;
  const period = (
    <p className="muted" data-testid="eval-period">
      {t('eval.period', {
        from: formatDateText(s.query.from.slice(0, 10), 'date', lang) || s.query.from,
        to: formatDateText(s.query.to.slice(0, 10), 'date', lang) || s.query.to,
      })}
    </p>
  );
  if (s.suppressed) {
    return (
      <>
        {period}
        <div className="card eval-suppressed" role="status">
          <p>
            {s.suppressedReason === 'protects_small_cell'
              ? t('eval.suppressed.protects', { min: s.minCell })
              : t('eval.suppressed', { min: s.minCell })}
          </p>
          <p>
            {t('eval.kpi.officerHours')}: {formatNumber(s.officerHours, lang, 1)}
          </p>
        </div>
        <Retention retention={s.retention} minCell={s.minCell} />
      </>
    );
  }
  return (
    <>
      {period}
      <section aria-labelledby="eval-kpis" className="eval-section">
        <h2 id="eval-kpis" className="visually-hidden">
          {t('eval.kpi.deescalation')}
        </h2>
        <dl className="eval-kpis">
          <div className="eval-kpi eval-kpi-main">
            <dt>{t('eval.kpi.deescalation')}</dt>
            <dd data-testid="kpi-deescalation">{formatPercent(s.deescalation?.estimate, lang)}</dd>
            {s.deescalation && (
              <dd className="eval-kpi-sub">
                {t('eval.kpi.ci', {
                  low: formatPercent(s.deescalation.low, lang),
                  high: formatPercent(s.deescalation.high, lang),
                })}
                <br />
                {t('eval.kpi.deescalationHelp', { successes: s.deescalation.successes, n: s.deescalation.n })}
              </dd>
            )}
          </div>
          <Kpi
            label="eval.kpi.episodes"
            value={formatNumber(s.funnel.episodes, lang)}
            testId="kpi-episodes"
          />
          <Kpi
            label="eval.kpi.officerHours"
            value={formatNumber(s.officerHours, lang, 0)}
            testId="kpi-hours"
          />
          <Kpi label="eval.kpi.recordingsPer1000" value={formatNumber(s.recordingsPer1000h, lang, 1)} />
          <Kpi
            label="eval.kpi.assaultsPer1000"
            value={formatNumber(s.assaultsPer1000h, lang, 2)}
            sub={s.assaults ? t('eval.kpi.assaultsDetail', s.assaults) : undefined}
          />
          <Kpi
            label="eval.kpi.displayToRecording"
            value={
              s.displayToRecording
                ? t('eval.kpi.seconds', { n: Math.round(s.displayToRecording.medianS) })
                : t('eval.na')
            }
          />
          <Kpi
            label="eval.kpi.announced"
            value={s.announcedShare ? formatPercent(s.announcedShare.estimate, lang) : t('eval.na')}
          />
          <Kpi label="eval.kpi.reports" value={formatPercent(s.reportsFiledShare, lang, 0)} />
        </dl>
      </section>
      <section aria-labelledby="eval-funnel" className="card eval-section">
        <h2 id="eval-funnel">{t('eval.funnel.title')}</h2>
        <FunnelChart funnel={s.funnel} />
      </section>
      <section aria-labelledby="eval-series" className="card eval-section">
        <h2 id="eval-series">{t('eval.series.title')}</h2>
        <SeriesChart points={series.points} minCell={s.minCell} />
      </section>
      <div className="eval-columns">
        <section aria-labelledby="eval-heat" className="card eval-section">
          <h2 id="eval-heat">{t('eval.heat.title')}</h2>
          <HeatmapChart heat={heat} minCell={s.minCell} />
        </section>
        <section aria-labelledby="eval-context" className="card eval-section">
          <h2 id="eval-context">{t('eval.breakdown.title')}</h2>
          <table className="data-table eval-table">
            <thead>
              <tr>
                <th scope="col">{t('eval.breakdown.key')}</th>
                <th scope="col">{t('eval.kpi.episodes')}</th>
                <th scope="col">{t('eval.funnel.recording')}</th>
                <th scope="col">{t('eval.kpi.deescalation')}</th>
              </tr>
            </thead>
            <tbody>
              {byContext.rows.map((r) => (
                <tr key={r.key}>
                  <th scope="row">{t(`eval.context.${r.key}` as MessageKey)}</th>
                  <td>{formatNumber(r.episodes, lang)}</td>
                  <td>{formatNumber(r.recordings, lang)}</td>
                  <td>{formatPercent(r.deescalationRate, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
      <Retention retention={s.retention} minCell={s.minCell} />
      <Comparisons summary={s} />
    </>
  );
}

/** What became of the recordings: kept as evidence, deleted (by retention, early), still pending. */
function Retention({ retention: r, minCell }: { retention: RetentionSummary; minCell: number }) {
  const { t, lang } = usePreferences();
  const rows: Array<{ key: keyof RetentionFigures; label: MessageKey; sub?: boolean }> = [
    { key: 'total', label: 'eval.retention.total' },
    { key: 'kept', label: 'eval.retention.kept' },
    { key: 'deleted', label: 'eval.retention.deleted' },
    { key: 'deletedByRetention', label: 'eval.retention.deletedByRetention', sub: true },
    { key: 'deletedEarly', label: 'eval.retention.deletedEarly', sub: true },
    { key: 'pending', label: 'eval.retention.pending' },
  ];
  const share = (n: number | null) => (n === null || !r.total ? null : n / r.total);
  return (
    <section aria-labelledby="eval-retention" className="card eval-section">
      <h2 id="eval-retention">{t('eval.retention.title')}</h2>
      <p className="muted">{t('eval.retention.desc')}</p>
      {r.suppressed ? (
        <p role="status" data-testid="retention-suppressed">
          {t('eval.retention.suppressed', { min: minCell })}
        </p>
      ) : (
        <table className="data-table eval-table">
          <thead>
            <tr>
              <th scope="col">{t('eval.retention.outcome')}</th>
              <th scope="col">{t('eval.retention.count')}</th>
              <th scope="col">{t('eval.retention.share')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ key, label, sub }) => {
              const n = r[key];
              return (
                <tr key={key}>
                  <th scope="row" className={sub ? 'eval-indent' : undefined}>
                    {t(label)}
                    {key === 'kept' && r.legalHold !== null && (
                      <span className="table-sub">{t('eval.retention.legalHold', { n: r.legalHold })}</span>
                    )}
                  </th>
                  <td data-testid={`retention-${key}`}>{formatNumber(n, lang)}</td>
                  <td>{key === 'total' ? '' : formatPercent(share(n), lang)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p className="muted">{t('eval.retention.filters')}</p>
    </section>
  );
}

function Kpi({
  label,
  value,
  sub,
  testId,
}: {
  label: MessageKey;
  value: string;
  sub?: string | undefined;
  testId?: string;
}) {
  const { t } = usePreferences();
  return (
    <div className="eval-kpi">
      <dt>{t(label)}</dt>
      <dd data-testid={testId}>{value}</dd>
      {sub && <dd className="eval-kpi-sub">{sub}</dd>}
    </div>
  );
}

function Comparisons({ summary }: { summary: StatsSummary }) {
  const { t, lang } = usePreferences();
  return (
    <section aria-labelledby="eval-compare" className="card eval-section">
      <h2 id="eval-compare">{t('eval.compare.title')}</h2>
      {summary.comparisons.length === 0 ? (
        <p className="muted">{t('eval.compare.empty')}</p>
      ) : (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">{t('eval.compare.baseline')}</th>
              <th scope="col">{t('eval.compare.before')}</th>
              <th scope="col">{t('eval.compare.after')}</th>
              <th scope="col">{t('eval.compare.ratio')}</th>
            </tr>
          </thead>
          <tbody>
            {summary.comparisons.map((c) => (
              <tr key={c.baselineId}>
                <th scope="row">
                  {c.label}
                  <span className="table-sub">
                    {formatNumber(c.baselineAssaults, lang)} / {formatNumber(c.baselineOfficerHours, lang)} h
                  </span>
                </th>
                <td>{formatNumber(c.baselinePer1000h, lang, 2)}</td>
                <td>{formatNumber(c.pilotPer1000h, lang, 2)}</td>
                <td>
                  {c.rateRatio
                    ? t('eval.compare.ratioValue', {
                        ratio: formatNumber(c.rateRatio.ratio, lang, 2),
                        low: formatNumber(c.rateRatio.low, lang, 2),
                        high: formatNumber(c.rateRatio.high, lang, 2),
                      })
                    : '–'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
