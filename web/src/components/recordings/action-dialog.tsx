'use client';
/**
 * One modal <dialog> for every recording action that needs a reason (§ 76 BDSG): playback, evidence,
 * legal hold, release, export (plus recipient), four-eyes request (plus days for an extension) and
 * the superior's decision (consent or reject). Checks the same minimum lengths as the gateway, so a
 * short reason is explained here instead of coming back as a 400. Escape cancels.
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { MessageKey } from '@/lib/i18n';
import { usePreferences } from '../preferences-provider';

export type ActionKind =
  | 'play'
  | 'evidence'
  | 'legalHold'
  | 'release'
  | 'export'
  | 'early_deletion'
  | 'extension'
  | 'decide';

export interface ActionInput {
  reason: string;
  caseReference?: string;
  recipient?: string;
  extendDays?: number;
  approve?: boolean;
}

const SUBMIT: Record<Exclude<ActionKind, 'decide'>, MessageKey> = {
  play: 'rec.dialog.play.submit',
  evidence: 'rec.dialog.evidence.submit',
  legalHold: 'rec.dialog.legalHold.submit',
  release: 'rec.dialog.release.submit',
  export: 'rec.dialog.export.submit',
  early_deletion: 'rec.dialog.request.submit',
  extension: 'rec.dialog.request.submit',
};

export function ActionDialog({
  kind,
  subject,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  kind: ActionKind;
  /** what it is about, e.g. "KOD Mitte 3, 01.03.2026 12:00" */
  subject: string;
  busy: boolean;
  error: string | null;
  onSubmit(input: ActionInput): void;
  onCancel(): void;
}) {
  const { t } = usePreferences();
  const id = useId();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [caseReference, setCaseReference] = useState('');
  const [recipient, setRecipient] = useState('');
  const [extendDays, setExtendDays] = useState('30');
  const [invalid, setInvalid] = useState<{ field: 'reason' | 'case' | 'recipient'; message: string } | null>(
    null,
  );
  const needsCase = kind === 'evidence' || kind === 'legalHold';

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  function submit(approve?: boolean) {
    const r = reason.trim();
    if (r.length < 5) return setInvalid({ field: 'reason', message: t('rec.dialog.reasonShort') });
    if (needsCase && caseReference.trim().length < 3)
      return setInvalid({ field: 'case', message: t('rec.dialog.caseShort') });
    if (kind === 'export' && recipient.trim().length < 3)
      return setInvalid({ field: 'recipient', message: t('rec.dialog.recipientShort') });
    setInvalid(null);
    onSubmit({
      reason: r,
      ...(needsCase ? { caseReference: caseReference.trim() } : {}),
      ...(kind === 'export' ? { recipient: recipient.trim() } : {}),
      ...(kind === 'extension' ? { extendDays: Math.max(1, Math.min(3650, Number(extendDays) || 30)) } : {}),
      ...(approve !== undefined ? { approve } : {}),
    });
  }

  const errorId = `${id}-error`;
  const described = (field: 'reason' | 'case' | 'recipient', hint?: string) =>
    [hint, invalid?.field === field ? errorId : undefined].filter(Boolean).join(' ') || undefined;
  const title =
    kind === 'decide' ? t('rec.dialog.decide.title') : t(`rec.dialog.${kind}.title` as MessageKey);

  return (
    <dialog
      ref={dialogRef}
      className="dialog rec-dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-intro`}
      onClose={onCancel}
    >
      <form
        method="dialog"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit(kind === 'decide' ? true : undefined);
        }}
      >
        <h2 id={`${id}-title`}>{title}</h2>
        <p id={`${id}-intro`} className="muted">
          <strong>{subject}</strong>
          {kind !== 'decide' && (
            <>
              <br />
              {t(`rec.dialog.${kind}.intro` as MessageKey)}
            </>
          )}
        </p>
        {needsCase && (
          <div className="field">
            <label htmlFor={`${id}-case`}>{t('rec.dialog.case')}</label>
            <input
              id={`${id}-case`}
              type="text"
              maxLength={100}
              required
              value={caseReference}
              aria-invalid={invalid?.field === 'case' ? true : undefined}
              aria-describedby={described('case')}
              onChange={(e) => setCaseReference(e.target.value)}
            />
          </div>
        )}
        {kind === 'export' && (
          <div className="field">
            <label htmlFor={`${id}-recipient`}>{t('rec.dialog.recipient')}</label>
            <input
              id={`${id}-recipient`}
              type="text"
              maxLength={200}
              required
              value={recipient}
              aria-invalid={invalid?.field === 'recipient' ? true : undefined}
              aria-describedby={described('recipient', `${id}-recipient-hint`)}
              onChange={(e) => setRecipient(e.target.value)}
            />
            <span id={`${id}-recipient-hint`} className="field-hint">
              {t('rec.dialog.recipientHint')}
            </span>
          </div>
        )}
        {kind === 'extension' && (
          <div className="field">
            <label htmlFor={`${id}-days`}>{t('rec.dialog.extendDays')}</label>
            <input
              id={`${id}-days`}
              type="number"
              min={1}
              max={3650}
              value={extendDays}
              onChange={(e) => setExtendDays(e.target.value)}
            />
          </div>
        )}
        <div className="field">
          <label htmlFor={`${id}-reason`}>{t('rec.dialog.reason')}</label>
          <textarea
            id={`${id}-reason`}
            rows={3}
            maxLength={500}
            required
            value={reason}
            aria-invalid={invalid?.field === 'reason' ? true : undefined}
            aria-describedby={described('reason', `${id}-reason-hint`)}
            onChange={(e) => setReason(e.target.value)}
          />
          <span id={`${id}-reason-hint`} className="field-hint">
            {t('rec.dialog.reasonHint')}
          </span>
        </div>
        {(invalid || error) && (
          <p id={errorId} className="form-error" role="alert">
            {invalid?.message ?? error}
          </p>
        )}
        <div className="button-row">
          {kind === 'decide' ? (
            <>
              <button type="submit" className="button button-primary" disabled={busy}>
                {t('rec.dialog.approve')}
              </button>
              <button
                type="button"
                className="button button-danger"
                disabled={busy}
                onClick={() => submit(false)}
              >
                {t('rec.dialog.reject')}
              </button>
            </>
          ) : (
            <button type="submit" className="button button-primary" disabled={busy}>
              {t(SUBMIT[kind])}
            </button>
          )}
          <button type="button" className="button" onClick={() => dialogRef.current?.close()}>
            {t('rec.dialog.cancel')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
