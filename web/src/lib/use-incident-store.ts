/**
 * React view of the incident store and the alert sound. Alerts must show at once (not on the 500 ms
 * rhythm of the unit list), and they are few, so components re-render on every store change.
 */
import { useEffect, useSyncExternalStore } from 'react';
import { isBlocked, isSoundOn, playCue, setSoundOn, subscribeSound, unlockSound } from './alert-sound.ts';
import type { IncidentStore } from './incident-store.ts';

/** Plays the store's cues, and lets the first click or key press of the user unlock audio. */
export function useAlertSound(store: IncidentStore): void {
  useEffect(() => {
    const off = store.onCue((cue) => playCue(cue));
    const unlock = () => {
      if (isSoundOn()) unlockSound();
    };
    window.addEventListener('pointerdown', unlock, true);
    window.addEventListener('keydown', unlock, true);
    return () => {
      off();
      window.removeEventListener('pointerdown', unlock, true);
      window.removeEventListener('keydown', unlock, true);
    };
  }, [store]);
}

const serverOn = () => true;
const serverBlocked = () => false;

export function useSoundPreference(): { on: boolean; blocked: boolean; setOn(on: boolean): void } {
  const on = useSyncExternalStore(subscribeSound, isSoundOn, serverOn);
  const blocked = useSyncExternalStore(subscribeSound, isBlocked, serverBlocked);
  return { on, blocked, setOn: setSoundOn };
}
