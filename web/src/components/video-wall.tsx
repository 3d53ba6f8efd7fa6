'use client';
/**
 * The video wall under the map: live pictures of the units in 1, 4 or 9 tiles. Tiles open by
 * themselves when a unit starts recording (with its incident as the reason, see video-wall.ts) or
 * by hand with a reason; tiles beyond the layout stay open but hidden and are listed in the
 * toolbar to swap in, as are live streams that are not on the wall.
 */
import type { Incident, UnitLive, WatchReason } from '@lagebild/protocol';
import { useEffect, useRef, useState } from 'react';
import type { Translate } from '@/lib/i18n';
import type { VideoWallModel } from '@/lib/use-video-wall';
import { LAYOUTS, visibleTiles } from '@/lib/video-wall';
import { usePreferences } from './preferences-provider';
import { VideoTile } from './video-tile';
import { WatchReasonDialog } from './watch-reason-dialog';
import './video-wall.css';

export interface VideoWallProps {
  wall: VideoWallModel;
  units: ReadonlyMap<string, UnitLive>;
  incidents: ReadonlyMap<string, Incident>;
  serverNowMs: number;
  /** the user may speak to units through their tiles (TALKBACK_ROLES) */
  canSpeak: boolean;
}

export function callsignOf(deviceId: string, unit: UnitLive | undefined): string {
  return unit?.callsign ?? unit?.deviceLabel ?? deviceId.slice(0, 8);
}

export function reasonText(reason: WatchReason, incidents: ReadonlyMap<string, Incident>, t: Translate) {
  if (reason.kind === 'incident') {
    const incident = reason.incidentId ? incidents.get(reason.incidentId) : undefined;
    return incident
      ? t('video.reason.incident', { number: incident.number })
      : t('video.reason.incidentUnknown');
  }
  const label = t(`video.reason.${reason.kind}`);
  return reason.text ? `${label}: ${reason.text}` : label;
}

export function VideoWall({ wall, units, incidents, serverNowMs, canSpeak }: VideoWallProps) {
  const { t } = usePreferences();
  const { shown, hidden } = visibleTiles(wall.wall);
  const onWall = new Set(wall.wall.tiles.map((tile) => tile.deviceId));
  const available = [...wall.live.keys()].filter((id) => !onWall.has(id));
  const announcement = useOpenAnnouncement(
    wall.wall.tiles.map((tile) => tile.deviceId),
    units,
    t,
  );
  const asking = wall.asking;
  // the reason text of a tile is fixed when it opens; later incident changes only rename it
  const rememberedReasons = useRef(new Map<string, string>());

  return (
    <>
      {wall.wall.tiles.length > 0 && (
        <section className="video-wall" aria-labelledby="video-wall-title">
          <div className="video-wall-toolbar">
            <h2 id="video-wall-title" className="panel-title">
              {t('video.wall.title')}
            </h2>
            <fieldset className="video-layout-choice">
              <legend className="visually-hidden">{t('video.wall.layout')}</legend>
              {LAYOUTS.map((l) => (
                <button
                  key={l}
                  type="button"
                  className="button button-quiet button-small"
                  aria-pressed={wall.wall.layout === l}
                  onClick={() => wall.setLayout(l)}
                >
                  <LayoutIcon n={l} />
                  {t(`video.wall.layout.${l}`)}
                </button>
              ))}
            </fieldset>
            {hidden.length > 0 && (
              <StreamChips
                label={t('video.wall.hidden')}
                ids={hidden.map((tile) => tile.deviceId)}
                units={units}
                onPick={wall.front}
              />
            )}
            {available.length > 0 && (
              <StreamChips
                label={t('video.wall.available')}
                ids={available}
                units={units}
                onPick={wall.requestOpen}
              />
            )}
            <p className="video-wall-audit muted">{t('video.wall.audit')}</p>
          </div>
          <div className="visually-hidden" aria-live="polite" aria-atomic="true">
            {announcement}
          </div>
          <div className={`video-grid layout-${wall.wall.layout}`}>
            {wall.wall.tiles.map((tile) => {
              const unit = units.get(tile.deviceId);
              const stream = wall.live.get(tile.deviceId);
              const recordingSince = unit?.stage === 'recording' ? unit.stageSince : (stream?.since ?? null);
              let text = reasonText(tile.reason, incidents, t);
              if (tile.reason.kind === 'incident' && !incidents.has(tile.reason.incidentId ?? ''))
                text = rememberedReasons.current.get(tile.deviceId) ?? text;
              rememberedReasons.current.set(tile.deviceId, text);
              return (
                <VideoTile
                  key={tile.deviceId}
                  deviceId={tile.deviceId}
                  unit={unit}
                  callsign={callsignOf(tile.deviceId, unit)}
                  reason={tile.reason}
                  reasonText={text}
                  event={wall.events.get(tile.deviceId)}
                  sinceMs={recordingSince}
                  serverNowMs={serverNowMs}
                  hidden={!shown.includes(tile)}
                  canSpeak={canSpeak}
                  onClose={() => wall.close(tile.deviceId)}
                />
              );
            })}
          </div>
        </section>
      )}
      {asking && (
        <WatchReasonDialog
          callsign={callsignOf(asking, units.get(asking))}
          onSubmit={(reason) => wall.open(asking, reason)}
          onCancel={wall.cancelAsk}
        />
      )}
    </>
  );
}

function StreamChips({
  label,
  ids,
  units,
  onPick,
}: {
  label: string;
  ids: readonly string[];
  units: ReadonlyMap<string, UnitLive>;
  onPick(deviceId: string): void;
}) {
  const { t } = usePreferences();
  return (
    <div className="video-stream-chips">
      <span className="muted">{label}:</span>
      <ul>
        {ids.map((id) => {
          const unit = callsignOf(id, units.get(id));
          return (
            <li key={id}>
              <button
                type="button"
                className="button button-small"
                aria-label={t('video.wall.show', { unit })}
                onClick={() => onPick(id)}
              >
                <span className="video-live-dot" aria-hidden="true" />
                {unit}
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** "Watch live" under a unit's detail while the unit streams. */
export function WatchLiveButton({
  deviceId,
  callsign,
  onOpen,
}: {
  deviceId: string;
  callsign: string;
  onOpen(deviceId: string): void;
}) {
  const { t } = usePreferences();
  return (
    <button
      type="button"
      className="button button-small watch-live-button"
      aria-label={t('video.openLabel', { unit: callsign })}
      onClick={() => onOpen(deviceId)}
    >
      <span className="video-live-dot" aria-hidden="true" />
      {t('video.open')}
    </button>
  );
}

function LayoutIcon({ n }: { n: number }) {
  const side = Math.sqrt(n);
  const cell = 12 / side;
  const rects = [];
  for (let r = 0; r < side; r++)
    for (let c = 0; c < side; c++)
      rects.push(
        <rect
          key={`${r}-${c}`}
          x={-6 + c * cell + 0.6}
          y={-6 + r * cell + 0.6}
          width={cell - 1.2}
          height={cell - 1.2}
          rx="0.6"
        />,
      );
  return (
    <svg
      width="16"
      height="16"
      viewBox="-8 -8 16 16"
      aria-hidden="true"
      focusable="false"
      className="icon icon-fill"
    >
      {rects}
    </svg>
  );
}

/** One polite sentence when a tile opens, so a screen reader hears that a picture appeared. */
function useOpenAnnouncement(
  ids: readonly string[],
  units: ReadonlyMap<string, UnitLive>,
  t: Translate,
): string {
  const previous = useRef<ReadonlySet<string> | null>(null);
  const [text, setText] = useState('');
  const key = ids.join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for ids
  useEffect(() => {
    const before = previous.current;
    previous.current = new Set(ids);
    if (!before) return;
    const opened = ids.filter((id) => !before.has(id));
    if (opened.length > 0)
      setText(
        opened.map((id) => t('video.announce.opened', { unit: callsignOf(id, units.get(id)) })).join('. '),
      );
  }, [key, t]);
  return text;
}
