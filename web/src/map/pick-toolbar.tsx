'use client';
/**
 * The switch into map pick mode ("open incident on map") and, while picking, the hint, the keyboard
 * alternative (use the map centre: move the map with the arrow keys first) and cancel. Escape
 * anywhere on the page cancels too.
 */
import { useEffect } from 'react';
import { usePreferences } from '@/components/preferences-provider';

export function PickToolbar({
  picking,
  onPickingChange,
  onUseCentre,
}: {
  picking: boolean;
  onPickingChange(picking: boolean): void;
  onUseCentre(): void;
}) {
  const { t } = usePreferences();
  useEffect(() => {
    if (!picking) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onPickingChange(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [picking, onPickingChange]);

  return (
    <div className={`pick-toolbar${picking ? ' is-picking' : ''}`}>
      <button
        type="button"
        className="button button-small"
        aria-pressed={picking}
        onClick={() => onPickingChange(!picking)}
      >
        <svg
          width="16"
          height="16"
          viewBox="-8 -8 16 16"
          aria-hidden="true"
          focusable="false"
          className="icon"
        >
          <circle r="4.5" className="icon-stroke" />
          <path d="M0 -8 V-3 M0 3 V8 M-8 0 H-3 M3 0 H8" className="icon-stroke" />
        </svg>
        {t('map.pick.start')}
      </button>
      {picking && (
        <>
          <p className="pick-hint" role="status">
            {t('map.pick.hint')}
          </p>
          <div className="button-row">
            <button type="button" className="button button-small button-primary" onClick={onUseCentre}>
              {t('map.pick.center')}
            </button>
            <button type="button" className="button button-small" onClick={() => onPickingChange(false)}>
              {t('map.pick.cancel')}
            </button>
          </div>
        </>
      )}
    </div>
  );
}
