'use client';
/**
 * One live picture on the video wall: the unit's callsign, stage and time since the recording
 * started over the picture, sound (muted until the user turns it on), full screen and close.
 * Closing only stops viewing; the camera keeps recording and publishing. Operators and supervisors
 * also get "Sprechen" (talk-button.tsx): held, their microphone reaches the officer (issue 16).
 *
 * The tile owns its watch (video-watch.ts) for as long as it is mounted, also while hidden beyond
 * the layout: then its size is 0×0 and the SFU pauses forwarding.
 */
import type { UnitLive, VideoEvent, WatchReason } from '@lagebild/protocol';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { MessageKey } from '@/lib/i18n';
import { startWatch, type Watch, type WatchState } from '@/lib/video-watch';
import { usePreferences } from './preferences-provider';
import { StageGlyph } from './stage-glyph';
import { TalkButton, TalkStatus, useTalkback } from './talk-button';

export interface VideoTileProps {
  deviceId: string;
  unit: UnitLive | undefined;
  callsign: string;
  reason: WatchReason;
  reasonText: string;
  /** the newest `video` event for this unit */
  event: VideoEvent | undefined;
  /** when the recording started (device clock) */
  sinceMs: number | null;
  serverNowMs: number;
  hidden: boolean;
  /** the user's role may speak to the unit (TALKBACK_ROLES); the server checks it as well */
  canSpeak: boolean;
  onClose(): void;
}

const ENDED_REASONS: ReadonlySet<string> = new Set(['unpublished', 'timeout', 'shutdown', 'revoked']);

/** "0:42", "12:05", "1:02:09" */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function VideoTile({
  deviceId,
  unit,
  callsign,
  reason,
  reasonText,
  event,
  sinceMs,
  serverNowMs,
  hidden,
  canSpeak,
  onClose,
}: VideoTileProps) {
  const { t } = usePreferences();
  const tileRef = useRef<HTMLElement>(null);
  const videoRef = useRef<HTMLVideoElement>(null);
  const watchRef = useRef<Watch | null>(null);
  const [state, setState] = useState<WatchState>({ kind: 'connecting' });
  const [hasPicture, setHasPicture] = useState(false);
  const [sound, setSound] = useState(false);
  const [fullscreen, setFullscreen] = useState(false);

  // the watch lives as long as the tile; the reason is fixed when the tile opens
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new reason is a new tile (keyed by device)
  useEffect(() => {
    const watch = startWatch({
      deviceId,
      reason,
      onState: setState,
      onStream(stream) {
        const video = videoRef.current;
        if (!video) return;
        setHasPicture(false);
        video.srcObject = stream;
        if (stream) video.play().catch(() => undefined);
      },
    });
    watchRef.current = watch;
    return () => {
      watchRef.current = null;
      watch.close();
    };
  }, [deviceId]);

  // the event that was current when the tile opened is what opened it: the new watch covers it
  const openingEvent = useRef(event);
  useEffect(() => {
    const watch = watchRef.current;
    if (!watch || !event || event === openingEvent.current) return;
    if (event.type === 'producer_up') watch.restart();
    else if (event.type === 'producer_down' && ENDED_REASONS.has(event.reason)) watch.end();
    else watch.suspend();
  }, [event]);

  // simulcast layer by tile size (SPEC [V4]): device pixels; a hidden tile is 0×0 and paused
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    const observer = new ResizeObserver(([entry]) => {
      const box = entry?.contentRect;
      const dpr = window.devicePixelRatio || 1;
      watchRef.current?.setTileSize((box?.width ?? 0) * dpr, (box?.height ?? 0) * dpr);
    });
    observer.observe(video);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    if (videoRef.current) videoRef.current.muted = !sound;
  }, [sound]);

  useEffect(() => {
    const onChange = () => setFullscreen(document.fullscreenElement === tileRef.current);
    document.addEventListener('fullscreenchange', onChange);
    return () => document.removeEventListener('fullscreenchange', onChange);
  }, []);

  const toggleFullscreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void tileRef.current?.requestFullscreen?.();
  };

  const stage = unit?.emergency ? 'emergency' : (unit?.stage ?? 'recording');
  const duration = sinceMs !== null ? formatDuration(serverNowMs - sinceMs) : null;
  const live = state.kind === 'live' && hasPicture;
  const watchToken = useCallback(
    () => watchRef.current?.token() ?? Promise.reject(new Error('the tile is closing')),
    [],
  );
  const talk = useTalkback(deviceId, watchToken, live);
  const stateText =
    state.kind === 'refused'
      ? t('video.state.refused')
      : state.kind === 'failed'
        ? t('video.state.failed', { message: state.message })
        : t(`video.state.${state.kind}` as MessageKey);
  const headingId = `video-tile-${deviceId}`;

  return (
    <article
      ref={tileRef}
      className={`video-tile is-${state.kind}${live ? ' has-picture' : ''}${talk.state.kind === 'speaking' ? ' is-talking' : ''}`}
      aria-labelledby={headingId}
      hidden={hidden}
      data-device-id={deviceId}
      data-state={state.kind}
    >
      <video
        ref={videoRef}
        className="video-tile-video"
        autoPlay
        playsInline
        muted
        onPlaying={() => setHasPicture(true)}
        aria-label={t('video.tile.label', { unit: callsign })}
      />
      <header className="video-tile-bar">
        <h3 id={headingId} className="video-tile-title">
          <StageGlyph status={stage} size={18} />
          <span className="video-tile-callsign">{callsign}</span>
          <span className={`video-tile-stage stage-text-${stage}`}>{t(`stage.${stage}`)}</span>
          {duration && (
            <span className="video-tile-since" title={t('video.tile.sinceLabel', { duration })}>
              <span className="visually-hidden">{t('video.tile.sinceLabel', { duration })}</span>
              <span aria-hidden="true">{t('video.tile.since', { duration })}</span>
            </span>
          )}
        </h3>
        <div className="video-tile-actions">
          <button
            type="button"
            className="video-tile-button"
            aria-pressed={sound}
            aria-label={t('video.tile.soundLabel', { unit: callsign })}
            title={t('video.tile.sound')}
            onClick={() => setSound((s) => !s)}
          >
            <SoundIcon on={sound} />
          </button>
          <button
            type="button"
            className="video-tile-button"
            aria-pressed={fullscreen}
            aria-label={t('video.tile.fullscreenLabel', { unit: callsign })}
            title={t('video.tile.fullscreen')}
            onClick={toggleFullscreen}
          >
            <FullscreenIcon />
          </button>
          <button
            type="button"
            className="video-tile-button"
            aria-label={t('video.tile.closeLabel', { unit: callsign })}
            title={t('video.tile.close')}
            onClick={onClose}
          >
            <CloseIcon />
          </button>
        </div>
      </header>
      {!live && (
        <p
          className={`video-tile-state${state.kind === 'refused' || state.kind === 'failed' ? ' is-error' : ''}`}
          role={state.kind === 'refused' || state.kind === 'failed' ? 'alert' : undefined}
        >
          {state.kind === 'live' ? t('video.tile.waiting') : stateText}
        </p>
      )}
      {canSpeak && <TalkStatus talk={talk} callsign={callsign} />}
      <footer className="video-tile-footer">
        <span className={`video-tile-live${live ? ' is-on' : ''}`}>
          {live ? t('video.state.live') : stateText}
        </span>
        <span className="video-tile-reason">{t('video.tile.reason', { reason: reasonText })}</span>
        {canSpeak && <TalkButton talk={talk} callsign={callsign} live={live} />}
      </footer>
    </article>
  );
}

function Svg({ children }: { children: React.ReactNode }) {
  return (
    <svg width="18" height="18" viewBox="-8 -8 16 16" aria-hidden="true" focusable="false" className="icon">
      {children}
    </svg>
  );
}

function SoundIcon({ on }: { on: boolean }) {
  return (
    <Svg>
      <path d="M-6 -2.5 H-3 L1 -6 V6 L-3 2.5 H-6 Z" className="icon-fill" />
      {on ? (
        <path d="M3.5 -3 Q5.5 0 3.5 3 M5 -5 Q8.5 0 5 5" className="icon-stroke" />
      ) : (
        <path d="M3.5 -2.5 L7.5 2.5 M7.5 -2.5 L3.5 2.5" className="icon-stroke" />
      )}
    </Svg>
  );
}

function FullscreenIcon() {
  return (
    <Svg>
      <path
        d="M-6.5 -2.5 V-6.5 H-2.5 M2.5 -6.5 H6.5 V-2.5 M6.5 2.5 V6.5 H2.5 M-2.5 6.5 H-6.5 V2.5"
        className="icon-stroke"
      />
    </Svg>
  );
}

function CloseIcon() {
  return (
    <Svg>
      <path d="M-5 -5 L5 5 M5 -5 L-5 5" className="icon-stroke" />
    </Svg>
  );
}
