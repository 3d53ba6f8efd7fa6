'use client';
/**
 * Alert sound on/off (remembered in this browser), and a notice while the browser still holds audio
 * back because nobody has clicked or typed on this page yet.
 */
import { useSoundPreference } from '@/lib/use-incident-store';
import { usePreferences } from './preferences-provider';

export function SoundToggle() {
  const { t } = usePreferences();
  const { on, setOn } = useSoundPreference();
  return (
    <button
      type="button"
      className="button button-quiet sound-toggle"
      aria-pressed={on}
      onClick={() => setOn(!on)}
    >
      <svg width="18" height="18" viewBox="-8 -8 16 16" aria-hidden="true" focusable="false" className="icon">
        <path d="M-7 -2.5 H-4 L0 -6 V6 L-4 2.5 H-7 Z" className="icon-fill" />
        {on ? (
          <path d="M2.5 -3 Q4.5 0 2.5 3 M4.5 -5 Q8 0 4.5 5" className="icon-stroke" />
        ) : (
          <path d="M2.5 -3 L7 3 M7 -3 L2.5 3" className="icon-stroke" />
        )}
      </svg>
      {t('sound.toggle')}
    </button>
  );
}

export function SoundBlockedNotice() {
  const { t } = usePreferences();
  const { on, blocked } = useSoundPreference();
  if (!on || !blocked) return null;
  return (
    <p className="sound-banner" role="status">
      {t('sound.blocked')}
    </p>
  );
}
