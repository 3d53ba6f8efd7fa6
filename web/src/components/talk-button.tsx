'use client';
/**
 * "Sprechen" on a live tile (issue 16): press and hold to speak to the officer through the camera,
 * let go to stop. Mouse, touch and pen hold it with the pointer (captured, so sliding off the button
 * does not end it early; a cancelled pointer does); the keyboard holds it with Space or Enter on the
 * focused button, and losing focus lets go. Only operators and supervisors get the button (the
 * gateway and the SFU refuse everyone else as well). The tile shows clearly while the microphone is
 * open, and says why when it could not be (microphone refused, someone else speaking, …).
 */
import type { ViewerTokenResponse } from '@lagebild/protocol';
import { type KeyboardEvent, type PointerEvent, useCallback, useEffect, useRef, useState } from 'react';
import type { MessageKey } from '@/lib/i18n';
import { startTalk, type Talk, type TalkState } from '@/lib/talkback';
import { usePreferences } from './preferences-provider';

export interface Talkback {
  state: TalkState;
  press(): void;
  release(): void;
}

/** The talk lifecycle of one tile; a release on unmount, or when `live` goes away. */
export function useTalkback(
  deviceId: string,
  token: () => Promise<ViewerTokenResponse>,
  live: boolean,
): Talkback {
  const [state, setState] = useState<TalkState>({ kind: 'idle' });
  const talk = useRef<Talk | null>(null);
  // a late answer of an earlier press (a refused microphone after a quick click) still shows,
  // unless the user pressed again meanwhile
  const generation = useRef(0);

  const release = useCallback(() => {
    const t = talk.current;
    talk.current = null;
    t?.release();
  }, []);
  const press = useCallback(() => {
    if (talk.current) return;
    const gen = ++generation.current;
    talk.current = startTalk({
      deviceId,
      token,
      onState(s) {
        if (gen !== generation.current) return;
        if (s.kind === 'error') talk.current = null;
        setState(s);
      },
    });
  }, [deviceId, token]);

  useEffect(() => {
    if (!live) release();
  }, [live, release]);
  useEffect(() => release, [release]);
  return { state, press, release };
}

const HOLD_KEYS = new Set([' ', 'Enter']);

export function TalkButton({ talk, callsign, live }: { talk: Talkback; callsign: string; live: boolean }) {
  const { t } = usePreferences();
  const held = talk.state.kind === 'starting' || talk.state.kind === 'speaking';
  const onKeyDown = (e: KeyboardEvent<HTMLButtonElement>) => {
    if (!HOLD_KEYS.has(e.key)) return;
    e.preventDefault(); // no click: holding is the action
    if (!e.repeat) talk.press();
  };
  const onKeyUp = (e: KeyboardEvent<HTMLButtonElement>) => {
    if (!HOLD_KEYS.has(e.key)) return;
    e.preventDefault();
    talk.release();
  };
  const onPointerDown = (e: PointerEvent<HTMLButtonElement>) => {
    if (e.button !== 0) return;
    e.currentTarget.setPointerCapture?.(e.pointerId);
    talk.press();
  };
  return (
    <button
      type="button"
      className={`video-talk-button${held ? ' is-held' : ''}`}
      aria-pressed={held}
      aria-label={t('video.talk.label', { unit: callsign })}
      title={t('video.talk.hint')}
      disabled={!live}
      onKeyDown={onKeyDown}
      onKeyUp={onKeyUp}
      onBlur={talk.release}
      onPointerDown={onPointerDown}
      onPointerUp={talk.release}
      onPointerCancel={talk.release}
      onLostPointerCapture={talk.release}
      onContextMenu={(e) => e.preventDefault()}
    >
      <MicrophoneIcon />
      <span>{t('video.talk.button')}</span>
    </button>
  );
}

/** Over the picture: that the officer hears you now, or why not. Announced to screen readers. */
export function TalkStatus({ talk, callsign }: { talk: Talkback; callsign: string }) {
  const { t } = usePreferences();
  const s = talk.state;
  return (
    <>
      <p className={`video-talk-status is-${s.kind}`} role="status" aria-live="polite">
        {s.kind === 'speaking' && (
          <>
            <MicrophoneIcon />
            {t('video.talk.speaking', { unit: callsign })}
          </>
        )}
        {s.kind === 'starting' && t('video.talk.starting')}
      </p>
      {s.kind === 'error' && (
        <p className="video-talk-error" role="alert">
          {t(`video.talk.error.${s.failure}` as MessageKey, { unit: callsign, message: s.message })}
        </p>
      )}
    </>
  );
}

function MicrophoneIcon() {
  return (
    <svg width="16" height="16" viewBox="-8 -8 16 16" aria-hidden="true" focusable="false" className="icon">
      <rect x="-2.5" y="-7" width="5" height="9" rx="2.5" className="icon-fill" />
      <path d="M-5 -1 Q-5 4.5 0 4.5 Q5 4.5 5 -1 M0 4.5 V7.5 M-3 7.5 H3" className="icon-stroke" />
    </svg>
  );
}
