'use client';
/**
 * "Rename" in a table row: the button becomes a labelled field with Save and Cancel; Enter saves,
 * Escape cancels, and focus goes to the field and back to the button.
 */
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { usePreferences } from '../preferences-provider';

export function RenameInline({
  name,
  maxLength,
  onSave,
}: {
  name: string;
  maxLength: number;
  /** resolves when saved; rejects with the sentence to show */
  onSave(next: string): Promise<void>;
}) {
  const { t } = usePreferences();
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(name);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);

  useEffect(() => {
    if (editing) inputRef.current?.focus();
    else if (wasEditing.current) buttonRef.current?.focus();
    wasEditing.current = editing;
  }, [editing]);

  if (!editing)
    return (
      <button
        ref={buttonRef}
        type="button"
        className="button button-small"
        aria-label={`${t('duty.rename')}: ${name}`}
        onClick={() => {
          setValue(name);
          setError(null);
          setEditing(true);
        }}
      >
        {t('duty.rename')}
      </button>
    );

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const next = value.trim();
    if (!next || next === name) return setEditing(false);
    setBusy(true);
    try {
      await onSave(next);
      setEditing(false);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="rename-inline"
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === 'Escape') setEditing(false);
      }}
    >
      <input
        ref={inputRef}
        aria-label={t('duty.renameField', { name })}
        value={value}
        maxLength={maxLength}
        aria-invalid={error ? true : undefined}
        onChange={(e) => setValue(e.target.value)}
      />
      <button type="submit" className="button button-small button-primary" disabled={busy}>
        {t('duty.save')}
      </button>
      <button type="button" className="button button-small" onClick={() => setEditing(false)}>
        {t('duty.cancel')}
      </button>
      {error && (
        <span role="alert" className="form-error">
          {error}
        </span>
      )}
    </form>
  );
}
