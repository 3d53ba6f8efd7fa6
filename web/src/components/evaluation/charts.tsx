'use client';
/**
 * Plain SVG charts for the evaluation (no chart library): weekly series, escalation funnel and the
 * coarse-grid heat map. Each is an image with a title and description for screen readers, and the
 * numbers behind it are available as a table right below.
 */
import type { SeriesPoint, StatsHeatmap, StatsSummary } from '@lagebild/protocol';
import { useId } from 'react';
import { formatNumber, formatPercent, formatShortDay } from '@/lib/evaluation';
import { plural } from '@/lib/plural';
import { usePreferences } from '../preferences-provider';

const W = 720;
const H = 240;
const PAD = { left: 44, right: 48, top: 16, bottom: 36 };

export function SeriesChart({ points, minCell }: { points: SeriesPoint[]; minCell: number }) {
  const { t, lang } = usePreferences();
  const id = useId();
  const max = Math.max(5, ...points.map((p) => p.episodes ?? 0));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const step = innerW / Math.max(1, points.length);
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const yRate = (r: number) => PAD.top + innerH - r * innerH;
  const line = points
    .map((p, i) =>
      p.deescalationRate === null ? null : `${PAD.left + step * (i + 0.5)},${yRate(p.deescalationRate)}`,
    )
    .filter((s): s is string => s !== null);
  const labelEvery = Math.max(1, Math.ceil(points.length / 8));
  return (
    <figure className="eval-figure">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-t ${id}-d`} className="eval-chart">
        <title id={`${id}-t`}>{t('eval.series.title')}</title>
        <desc id={`${id}-d`}>{t('eval.series.desc', { min: minCell })}</desc>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line
              x1={PAD.left}
              x2={W - PAD.right}
              y1={PAD.top + innerH * (1 - f)}
              y2={PAD.top + innerH * (1 - f)}
              className="eval-grid"
            />
            <text x={PAD.left - 6} y={PAD.top + innerH * (1 - f) + 4} textAnchor="end" className="eval-axis">
              {Math.round(max * f)}
            </text>
            <text x={W - PAD.right + 6} y={PAD.top + innerH * (1 - f) + 4} className="eval-axis">
              {formatPercent(f, lang, 0)}
            </text>
          </g>
        ))}
        {points.map((p, i) => {
          const x = PAD.left + step * i + step * 0.15;
          return p.episodes === null ? (
            <rect
              key={p.weekStart}
              x={x}
              y={PAD.top + innerH - 3}
              width={step * 0.7}
              height={3}
              className="eval-bar-suppressed"
            />
          ) : (
            <rect
              key={p.weekStart}
              x={x}
              y={y(p.episodes)}
              width={step * 0.7}
              height={PAD.top + innerH - y(p.episodes)}
              className="eval-bar"
            />
          );
        })}
        {line.length > 1 && <polyline points={line.join(' ')} className="eval-line" />}
        {points.map((p, i) =>
          i % labelEvery === 0 ? (
            <text
              key={p.weekStart}
              x={PAD.left + step * (i + 0.5)}
              y={H - 12}
              textAnchor="middle"
              className="eval-axis"
            >
              {formatShortDay(p.weekStart, lang)}
            </text>
          ) : null,
        )}
      </svg>
      <details className="eval-details">
        <summary>{t('eval.table.show')}</summary>
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">{t('eval.series.week')}</th>
                <th scope="col">{t('eval.kpi.episodes')}</th>
                <th scope="col">{t('eval.funnel.display')}</th>
                <th scope="col">{t('eval.funnel.recording')}</th>
                <th scope="col">{t('eval.series.rate')}</th>
                <th scope="col">{t('eval.kpi.officerHours')}</th>
              </tr>
            </thead>
            <tbody>
              {points.map((p) => (
                <tr key={p.weekStart}>
                  <th scope="row">{p.weekStart}</th>
                  <td>{formatNumber(p.episodes, lang)}</td>
                  <td>{formatNumber(p.display, lang)}</td>
                  <td>{formatNumber(p.recordings, lang)}</td>
                  <td>{formatPercent(p.deescalationRate, lang)}</td>
                  <td>{formatNumber(p.officerHours, lang, 1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

/** the funnel's labels take the left part of the chart, bars start here */
const FUNNEL_BAR_X = 330;

export function FunnelChart({ funnel }: { funnel: StatsSummary['funnel'] }) {
  const { t, lang } = usePreferences();
  const id = useId();
  const rows = [
    { key: 'episodes', label: t('eval.funnel.episodes'), value: funnel.episodes, cls: 'eval-funnel-standby' },
    { key: 'display', label: t('eval.funnel.display'), value: funnel.display, cls: 'eval-funnel-display' },
    {
      key: 'recording',
      label: t('eval.funnel.recording'),
      value: funnel.displayThenRecording,
      cls: 'eval-funnel-recording',
    },
    {
      key: 'direct',
      label: t('eval.funnel.direct'),
      value: funnel.directRecording,
      cls: 'eval-funnel-recording',
    },
  ];
  const max = Math.max(1, funnel.episodes ?? 1);
  const rowH = 44;
  return (
    <figure className="eval-figure">
      <svg
        viewBox={`0 0 ${W} ${rows.length * rowH}`}
        role="img"
        aria-labelledby={`${id}-t`}
        className="eval-chart"
      >
        <title id={`${id}-t`}>
          {`${t('eval.funnel.title')}: ${rows.map((r) => `${r.label} ${formatNumber(r.value, lang)}`).join(', ')}`}
        </title>
        {rows.map((r, i) => {
          const width = r.value === null ? 0 : Math.max(2, ((W - FUNNEL_BAR_X - 70) * r.value) / max);
          return (
            <g key={r.key} transform={`translate(0 ${i * rowH})`}>
              <text x={0} y={26} className="eval-label">
                {r.label}
              </text>
              <rect x={FUNNEL_BAR_X} y={8} width={width} height={26} className={r.cls} />
              <text x={FUNNEL_BAR_X + 6 + width} y={26} className="eval-label eval-value">
                {formatNumber(r.value, lang)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

export function HeatmapChart({ heat, minCell }: { heat: StatsHeatmap; minCell: number }) {
  const { t, lang } = usePreferences();
  const id = useId();
  if (heat.suppressed === 'combined_filters') return <p className="muted">{t('eval.heat.filtered')}</p>;
  if (heat.cells.length === 0) return <p className="muted">{t('eval.heat.empty', { min: minCell })}</p>;
  const rows = heat.cells.map((c) => c.row);
  const cols = heat.cells.map((c) => c.col);
  const [r0, r1, c0, c1] = [Math.min(...rows), Math.max(...rows), Math.min(...cols), Math.max(...cols)];
  const nCols = c1 - c0 + 1;
  const nRows = r1 - r0 + 1;
  const size = Math.min(48, Math.floor(W / Math.max(nCols, 1)));
  const max = Math.max(...heat.cells.map((c) => c.episodes));
  return (
    <figure className="eval-figure">
      <svg
        viewBox={`0 0 ${nCols * size} ${nRows * size}`}
        role="img"
        aria-labelledby={`${id}-t ${id}-d`}
        className="eval-chart eval-heat"
        style={{ maxWidth: nCols * size }}
      >
        <title id={`${id}-t`}>{t('eval.heat.title')}</title>
        <desc id={`${id}-d`}>{t('eval.heat.desc')}</desc>
        <rect x={0} y={0} width={nCols * size} height={nRows * size} className="eval-heat-bg" />
        {heat.cells.map((c) => (
          // north up: higher rows (latitude) are drawn nearer the top
          <rect
            key={`${c.row}:${c.col}`}
            x={(c.col - c0) * size}
            y={(r1 - c.row) * size}
            width={size - 1}
            height={size - 1}
            className="eval-heat-cell"
            style={{ fillOpacity: 0.2 + (0.8 * c.episodes) / max }}
          >
            <title>
              {plural(t, lang, 'eval.heat.cell', c.episodes, { row: c.row, col: c.col, n: c.episodes })}
            </title>
          </rect>
        ))}
      </svg>
      {heat.suppressedCells > 0 && (
        <figcaption className="muted">
          {heat.suppressedEpisodes === null
            ? t('eval.heat.suppressedCells', { cells: heat.suppressedCells, min: minCell })
            : t('eval.heat.suppressed', {
                cells: heat.suppressedCells,
                episodes: heat.suppressedEpisodes,
                min: minCell,
              })}
        </figcaption>
      )}
    </figure>
  );
}
