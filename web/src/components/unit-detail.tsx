'use client';
/**
 * Everything about the selected unit: live status with ages, and the stage history of its shift
 * (GET /api/units/:id), reloaded when its stage changes.
 */
import { type StageChange, UnitDetailResponse, type UnitLive } from '@lagebild/protocol';
import { type ReactNode, useEffect, useState } from 'react';
import { ApiError, apiGet } from '@/lib/api';
import { formatAccuracy, formatAge, formatClock, formatCoordinate, formatSpeed } from '@/lib/format';
import { freshnessOf } from '@/lib/staleness';
import { labelOf, statusOf } from '@/lib/unit-filter';
import { usePreferences } from './preferences-provider';
import { StageGlyph } from './stage-glyph';

export interface UnitDetailProps {
  unit: UnitLive;
  serverNowMs: number;
  onClose(): void;
  onShowOnMap(): void;
  onSignedOut(): void;
  /** extra actions for this unit (e.g. open an incident), below "show on map" */
  actions?: ReactNode;
}

type History =
  | { kind: 'loading' }
  | { kind: 'ready'; detail: UnitDetailResponse }
  | { kind: 'error' }
  | { kind: 'none' };

export function UnitDetail({
  unit,
  serverNowMs,
  onClose,
  onShowOnMap,
  onSignedOut,
  actions,
}: UnitDetailProps) {
  const { t, lang } = usePreferences();
  const [history, setHistory] = useState<History>({ kind: 'loading' });
  const status = statusOf(unit);
  const freshness = freshnessOf(unit, serverNowMs);
  const { unitId, stage, stageSince, emergency } = unit;

  useEffect(() => {
    void stage;
    void stageSince;
    void emergency;
    if (!unitId) {
      setHistory({ kind: 'none' });
      return;
    }
    const abort = new AbortController();
    apiGet(`/api/units/${encodeURIComponent(unitId)}`, UnitDetailResponse, abort.signal).then(
      (detail) => setHistory({ kind: 'ready', detail }),
      (err: unknown) => {
        if (abort.signal.aborted) return;
        if (err instanceof ApiError && err.code === 'unauthenticated') onSignedOut();
        else setHistory({ kind: 'error' });
      },
    );
    return () => abort.abort();
  }, [unitId, stage, stageSince, emergency, onSignedOut]);

  const facts: [string, string][] = [
    [t('detail.team'), unit.team ?? t('detail.unknown')],
    [
      t('detail.lastContact'),
      `${formatAge(serverNowMs - unit.receivedAt, t)} (${formatClock(unit.receivedAt, lang)})`,
    ],
    [t('detail.battery'), `${unit.batteryPct} %`],
    [t('detail.signal'), t('detail.signalBars', { bars: unit.signalBars })],
    [t('detail.network'), t(`network.${unit.network}`)],
    [
      t('detail.position'),
      unit.position
        ? `${formatCoordinate(unit.position.lat, lang)}, ${formatCoordinate(unit.position.lng, lang)}`
        : t('detail.noPosition'),
    ],
    [t('detail.accuracy'), unit.position ? formatAccuracy(unit.position.accuracyM, lang) : '–'],
    [t('detail.speed'), formatSpeed(unit.speedMps, lang) ?? '–'],
    [t('detail.device'), unit.deviceLabel],
  ];
  if (history.kind === 'ready' && history.detail.unit.shiftStartedAt !== null) {
    facts.push([t('detail.shiftStarted'), formatClock(history.detail.unit.shiftStartedAt, lang)]);
  }

  return (
    <section className={`unit-detail status-${status}`} aria-labelledby="unit-detail-title">
      <div className="panel-heading">
        <h2 id="unit-detail-title">
          <StageGlyph status={freshness === 'lost' ? 'lost' : status} size={22} /> {labelOf(unit)}
        </h2>
        <button
          type="button"
          className="button button-quiet close-button"
          aria-label={t('detail.close')}
          title={t('detail.close')}
          onClick={onClose}
        >
          <span aria-hidden="true">✕</span>
        </button>
      </div>
      <p className="unit-detail-stage">
        <span className={`stage-badge stage-badge-${status}`}>{t(`stage.${status}`)}</span>
        {emergency && <span className={`stage-badge stage-badge-${stage}`}>{t(`stage.${stage}`)}</span>}
        {freshness !== 'fresh' && (
          <span className={`freshness-badge freshness-${freshness}`}>{t(`stage.${freshness}`)}</span>
        )}
        <span className="unit-detail-since">
          {t('detail.since', {
            time: formatClock(stageSince, lang),
            ago: formatAge(serverNowMs - stageSince, t),
          })}
        </span>
      </p>
      {stage === 'recording' && unit.announced !== null && (
        <p className="unit-detail-note">{unit.announced ? t('detail.announced') : t('detail.unannounced')}</p>
      )}
      <dl className="facts">
        {facts.map(([term, value]) => (
          <div key={term} className="fact">
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <button type="button" className="button button-small" onClick={onShowOnMap} disabled={!unit.position}>
        {t('detail.centerMap')}
      </button>
      {actions}
      <h3>{t('detail.history')}</h3>
      <StageHistory history={history} />
    </section>
  );
}

function StageHistory({ history }: { history: History }) {
  const { t, lang } = usePreferences();
  if (history.kind === 'none') return <p className="muted">{t('detail.historyEmpty')}</p>;
  if (history.kind === 'loading') return <p className="muted">{t('detail.historyLoading')}</p>;
  if (history.kind === 'error') return <p className="form-error">{t('detail.historyError')}</p>;
  const changes = history.detail.stageHistory;
  if (changes.length === 0) return <p className="muted">{t('detail.historyEmpty')}</p>;
  // newest first: the recent past matters most during a shift
  const ordered = [...changes].reverse();
  return (
    <ol className="stage-history">
      {ordered.map((change: StageChange) => (
        <li key={`${change.deviceId}:${change.seq}`}>
          <time dateTime={new Date(change.at).toISOString()}>{formatClock(change.at, lang)}</time>
          <StageGlyph status={change.emergency ? 'emergency' : change.to} size={16} />
          <span>
            {change.from ? `${t(`stage.${change.from}`)} → ` : ''}
            {t(`stage.${change.to}`)}
            {change.emergency ? ` · ${t('stage.emergency')}` : ''}
            {change.to === 'recording' && change.announced === false
              ? ` · ${t('detail.unannounced')}${change.unannouncedReason ? `: ${change.unannouncedReason}` : ''}`
              : ''}
          </span>
        </li>
      ))}
    </ol>
  );
}
