'use client';
/**
 * Asks why a live stream is watched before it opens (§ 76 BDSG): a short list and free text, which
 * is required for "other". A modal <dialog>: focus stays inside, Escape cancels.
 */
import type { WatchReason } from '@lagebild/protocol';
import { useEffect, useId, useRef, useState } from 'react';
import { usePreferences } from './preferences-provider';

type Kind = Exclude<WatchReason['kind'], 'incident'>;
const KINDS: readonly Kind[] = ['situation_assessment', 'officer_safety', 'emergency', 'other'];

export function WatchReasonDialog({
  callsign,
  onSubmit,
  onCancel,
}: {
  callsign: string;
  onSubmit(reason: WatchReason): void;
  onCancel(): void;
}) {
  const { t } = usePreferences();
  const id = useId();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [kind, setKind] = useState<Kind>('situation_assessment');
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  return (
    <dialog
      ref={dialogRef}
      className="dialog watch-reason-dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-intro`}
      onClose={onCancel}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          const trimmed = text.trim();
          if (kind === 'other' && !trimmed) {
            setError(t('video.reasonDialog.textRequired'));
            return;
          }
          onSubmit({ kind, ...(trimmed ? { text: trimmed } : {}) });
        }}
      >
        <h2 id={`${id}-title`}>{t('video.reasonDialog.title', { unit: callsign })}</h2>
        <p id={`${id}-intro`} className="muted">
          {t('video.reasonDialog.intro')}
        </p>
        <fieldset className="watch-reason-kinds">
          <legend>{t('video.reasonDialog.legend')}</legend>
          {KINDS.map((k) => (
            <label key={k} className="watch-reason-option">
              <input
                type="radio"
                name={`${id}-kind`}
                value={k}
                checked={kind === k}
                onChange={() => {
                  setKind(k);
                  setError(null);
                }}
              />
              {t(`video.reason.${k}`)}
            </label>
          ))}
        </fieldset>
        <div className="field field-compact">
          <label htmlFor={`${id}-text`}>
            {kind === 'other' ? t('video.reasonDialog.text') : t('video.reasonDialog.textOptional')}
          </label>
          <input
            id={`${id}-text`}
            type="text"
            maxLength={500}
            value={text}
            aria-required={kind === 'other'}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-error` : undefined}
            onChange={(e) => {
              setText(e.target.value);
              setError(null);
            }}
          />
        </div>
        {error && (
          <p id={`${id}-error`} className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="button-row">
          <button type="submit" className="button button-primary">
            {t('video.reasonDialog.submit')}
          </button>
          <button type="button" className="button" onClick={() => dialogRef.current?.close()}>
            {t('video.reasonDialog.cancel')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
