'use client';
/**
 * A modal that asks to confirm one change: title, what it does, the fields it needs (children),
 * the error of the last attempt, Cancel (focused first) and the confirm button. Ids derive from
 * `id` (`-title`, `-body`, `-error`), so the fields can point at the error.
 */
import type { ReactNode } from 'react';
import { useModal } from './use-modal';

export function ConfirmDialog({
  id,
  title,
  body,
  error,
  busy,
  cancelLabel,
  confirmLabel,
  danger = false,
  onConfirm,
  onClose,
  children,
}: {
  id: string;
  title: string;
  body: string;
  error: string | null;
  busy: boolean;
  cancelLabel: string;
  confirmLabel: string;
  /** a red confirm button for a change that takes something away */
  danger?: boolean;
  onConfirm(): void;
  onClose(): void;
  children?: ReactNode;
}) {
  const modal = useModal(onClose);
  return (
    <dialog
      ref={modal.ref}
      className="dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-body`}
      onClose={onClose}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      <p id={`${id}-body`}>{body}</p>
      {children}
      <div id={`${id}-error`} role="alert" className="form-error">
        {error}
      </div>
      <div className="button-row">
        <button type="button" className="button" onClick={modal.close}>
          {cancelLabel}
        </button>
        <button
          type="button"
          className={`button ${danger ? 'button-danger' : 'button-primary'}`}
          onClick={onConfirm}
          disabled={busy}
        >
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
