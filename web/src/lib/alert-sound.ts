/**
 * The alert tone: a short WebAudio chime, synthesised (no audio files to ship or fail to load).
 * A new alert plays two falling notes; an escalation three rising, slightly louder ones, so the ear
 * tells them apart without looking.
 *
 * Browsers keep audio suspended until the user has interacted with the page (autoplay policy). A
 * control-room screen may sit untouched for hours, so we do not fight that: the first click or key
 * press anywhere resumes the AudioContext, and while it is still suspended `isBlocked()` says so and
 * the UI shows a hint instead of failing silently.
 *
 * Mute is remembered per browser in localStorage, like language and theme (preferences.ts).
 */
import type { AlertCue } from './incident-store.ts';

export const SOUND_KEY = 'lagebild.alertSound';

type Note = { hz: number; startS: number; lengthS: number; gain: number };

/** Notes of each cue; public so a test can check they stay short (a tone, not a siren). */
export const CUE_NOTES: Record<AlertCue, readonly Note[]> = {
  new: [
    { hz: 880, startS: 0, lengthS: 0.16, gain: 0.18 },
    { hz: 660, startS: 0.2, lengthS: 0.22, gain: 0.18 },
  ],
  escalated: [
    { hz: 660, startS: 0, lengthS: 0.12, gain: 0.24 },
    { hz: 880, startS: 0.15, lengthS: 0.12, gain: 0.24 },
    { hz: 1175, startS: 0.3, lengthS: 0.24, gain: 0.24 },
  ],
};

const listeners = new Set<() => void>();
function notify(): void {
  for (const listener of listeners) listener();
}

export function subscribeSound(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (e: StorageEvent) => {
    if (e.key === SOUND_KEY) listener();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

export function isSoundOn(): boolean {
  try {
    return window.localStorage.getItem(SOUND_KEY) !== 'off';
  } catch {
    return true;
  }
}

export function setSoundOn(on: boolean): void {
  try {
    window.localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
  } catch {
    // storage disabled: the choice lasts for this page only
  }
  if (on) unlockSound();
  notify();
}

let context: AudioContext | null = null;
let blocked = false;

function setBlocked(value: boolean): void {
  if (blocked === value) return;
  blocked = value;
  notify();
}

function audioContext(): AudioContext | null {
  if (context) return context;
  const Ctor =
    window.AudioContext ?? (window as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!Ctor) return null;
  try {
    context = new Ctor();
  } catch {
    return null;
  }
  context.addEventListener('statechange', () => setBlocked(context?.state === 'suspended' && blocked));
  return context;
}

/** true while a tone was due but the browser still holds audio back */
export function isBlocked(): boolean {
  return blocked;
}

/** Call from a user gesture: lets the browser start audio. Harmless when already running. */
export function unlockSound(): void {
  const ctx = audioContext();
  if (!ctx) return;
  if (ctx.state === 'suspended') {
    ctx.resume().then(
      () => setBlocked(false),
      () => undefined,
    );
  } else {
    setBlocked(false);
  }
}

export function playCue(cue: AlertCue): void {
  if (!isSoundOn()) return;
  const ctx = audioContext();
  if (!ctx) return;
  if (ctx.state !== 'running') {
    // not allowed yet: say so; the next gesture resumes (the tone itself is not replayed late)
    setBlocked(true);
    ctx.resume().then(
      () => setBlocked(false),
      () => undefined,
    );
    return;
  }
  const start = ctx.currentTime + 0.02;
  for (const note of CUE_NOTES[cue]) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = note.hz;
    const t0 = start + note.startS;
    const t1 = t0 + note.lengthS;
    // short attack and release: no clicks
    gain.gain.setValueAtTime(0.0001, t0);
    gain.gain.exponentialRampToValueAtTime(note.gain, t0 + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, t1);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0);
    osc.stop(t1 + 0.02);
  }
}
