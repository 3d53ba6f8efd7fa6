'use client';
/**
 * One recording opened from the library: facts, the player (a plain <video> on the gateway's
 * decrypting Range stream, reachable only through a playback ticket that a reason bought), the
 * retention actions the role allows, the export download and the four-eyes requests with the
 * superior's decision. Every action goes through ActionDialog; the gateway enforces roles again.
 */
import {
  type FourEyesView,
  type MeResponse,
  RECORDING_ROLES,
  RETENTION_ROLES,
  type RecordingView,
} from '@lagebild/protocol';
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { ApiError } from '@/lib/api';
import { formatDateTime } from '@/lib/format';
import type { MessageKey, MessageParams } from '@/lib/i18n';
import {
  decideFourEyes,
  downloadExport,
  getRecording,
  markEvidence,
  requestFourEyes,
  startPlayback,
} from '@/lib/recordings-api';
import { usePreferences } from '../preferences-provider';
import { ActionDialog, type ActionInput, type ActionKind } from './action-dialog';
import { DeletionCell } from './deletion-cell';

export function unitName(r: RecordingView, t: (k: MessageKey) => string): string {
  return r.callsign ?? `${r.deviceLabel} (${t('rec.noUnit')})`;
}

/** What a four-eyes request asks for, e.g. "Extension by 30 days". */
export function approvalText(
  a: Pick<FourEyesView, 'action' | 'extendDays'>,
  t: (k: MessageKey, params?: MessageParams) => string,
): string {
  if (a.action === 'extension') return t('rec.approval.extension', { days: a.extendDays ?? 0 });
  return t(a.action === 'release' ? 'rec.approval.release' : 'rec.approval.early_deletion');
}

export function RecordingPanel({
  me,
  recording,
  now,
  autoPlay,
  onChanged,
  onClose,
}: {
  me: MeResponse;
  recording: RecordingView;
  now: number;
  /** opened through a row's "Play" button: ask for the reason right away */
  autoPlay: boolean;
  onChanged(r: RecordingView): void;
  onClose(): void;
}) {
  const { t, lang } = usePreferences();
  const id = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [approvals, setApprovals] = useState<FourEyesView[]>([]);
  const [dialog, setDialog] = useState<{ kind: ActionKind; approval?: FourEyesView } | null>(
    autoPlay ? { kind: 'play' } : null,
  );
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [player, setPlayer] = useState<{ url: string; reason: string } | null>(null);
  const role = me.user.role;
  const mayRetain = RETENTION_ROLES.includes(role);
  const mayRequest = RECORDING_ROLES.includes(role);
  const r = recording;
  const alive = r.state === 'complete' || r.state === 'incomplete';
  const subject = `${unitName(r, t)}, ${formatDateTime(r.startedAt, lang)}`;

  const reload = useCallback(async () => {
    try {
      const detail = await getRecording(r.id);
      setApprovals(detail.approvals);
      onChanged(detail.recording);
    } catch {
      // the list still shows the row; the next action reports the problem
    }
  }, [r.id, onChanged]);

  // the panel is keyed by recording, so this runs once per opened recording
  useEffect(() => {
    void reload();
    if (!autoPlay) headingRef.current?.focus();
  }, [reload, autoPlay]);

  async function run(input: ActionInput) {
    if (!dialog) return;
    setBusy(true);
    setDialogError(null);
    try {
      switch (dialog.kind) {
        case 'play': {
          const ticket = await startPlayback(r.id, input.reason);
          setPlayer({ url: ticket.url, reason: input.reason });
          break;
        }
        case 'evidence':
        case 'legalHold':
          onChanged(
            await markEvidence(r.id, {
              reason: input.reason,
              caseReference: input.caseReference ?? '',
              legalHold: dialog.kind === 'legalHold',
            }),
          );
          setNotice(t('rec.action.done.evidence'));
          break;
        case 'export':
          await downloadExport(r.id, { reason: input.reason, recipient: input.recipient ?? '' });
          setNotice(t('rec.action.done.export'));
          break;
        // a release is a four-eyes request too (issue 11): the recording stays held until a superior consents
        case 'release':
        case 'early_deletion':
        case 'extension':
          await requestFourEyes(r.id, {
            action: dialog.kind,
            reason: input.reason,
            ...(input.extendDays ? { extendDays: input.extendDays } : {}),
          });
          setNotice(t('rec.action.done.request'));
          await reload();
          break;
        case 'decide':
          await decideFourEyes(dialog.approval!.id, {
            approve: input.approve ?? false,
            reason: input.reason,
          });
          setNotice(t('rec.action.done.decision'));
          await reload();
          break;
      }
      setDialog(null);
    } catch (err) {
      setDialogError(
        err instanceof ApiError && err.code === 'network'
          ? t('app.error.network')
          : t('app.error.generic', { message: err instanceof Error ? err.message : String(err) }),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel rec-panel" aria-labelledby={`${id}-title`}>
      <div className="panel-heading">
        <h2 id={`${id}-title`} ref={headingRef} tabIndex={-1}>
          {t('rec.detail.title', { unit: unitName(r, t) })}
        </h2>
        <button type="button" className="button button-small" onClick={onClose}>
          {t('rec.detail.close')}
        </button>
      </div>
      <dl className="rec-facts">
        <div>
          <dt>{t('rec.detail.started')}</dt>
          <dd>{formatDateTime(r.startedAt, lang)}</dd>
        </div>
        <div>
          <dt>{t('rec.detail.device')}</dt>
          <dd>{r.deviceLabel}</dd>
        </div>
        <div>
          <dt>{t('rec.col.class')}</dt>
          <dd>
            <ClassBadge recording={r} />
          </dd>
        </div>
        <div>
          <dt>{t('rec.detail.deleteAt')}</dt>
          <dd>
            <DeletionCell recording={r} now={now} />
          </dd>
        </div>
        {r.caseReference && (
          <div>
            <dt>{t('rec.detail.case')}</dt>
            <dd>{r.caseReference}</dd>
          </div>
        )}
        {r.retentionReason && (
          <div>
            <dt>{t('rec.detail.reason')}</dt>
            <dd>{r.retentionReason}</dd>
          </div>
        )}
      </dl>

      {alive && (
        <div className="rec-player">
          {player ? (
            <>
              {/* biome-ignore lint/a11y/useMediaCaption: body-camera footage has no caption track */}
              <video
                key={player.url}
                src={player.url}
                controls
                autoPlay
                preload="auto"
                aria-label={t('rec.player.label', { unit: unitName(r, t) })}
              />
              <p className="muted rec-player-reason">{t('rec.player.reason', { reason: player.reason })}</p>
            </>
          ) : (
            <button
              type="button"
              className="button button-primary"
              onClick={() => setDialog({ kind: 'play' })}
            >
              {t('rec.play')}
            </button>
          )}
        </div>
      )}

      <p role="status" className="notice-line">
        {notice}
      </p>

      {alive && (
        <div className="rec-actions">
          {mayRetain && r.retention === 'standard' && (
            <>
              <button type="button" className="button" onClick={() => setDialog({ kind: 'evidence' })}>
                {t('rec.action.evidence')}
              </button>
              <button type="button" className="button" onClick={() => setDialog({ kind: 'legalHold' })}>
                {t('rec.action.legalHold')}
              </button>
            </>
          )}
          {mayRetain && r.retention !== 'standard' && (
            <button type="button" className="button" onClick={() => setDialog({ kind: 'release' })}>
              {t('rec.action.release')}
            </button>
          )}
          {mayRetain && r.state === 'complete' && (
            <button type="button" className="button" onClick={() => setDialog({ kind: 'export' })}>
              {t('rec.action.export')}
            </button>
          )}
          {mayRequest && (
            <>
              <button
                type="button"
                className="button button-small"
                onClick={() => setDialog({ kind: 'early_deletion' })}
              >
                {t('rec.action.earlyDeletion')}
              </button>
              {r.retention === 'standard' && (
                <button
                  type="button"
                  className="button button-small"
                  onClick={() => setDialog({ kind: 'extension' })}
                >
                  {t('rec.action.extension')}
                </button>
              )}
            </>
          )}
        </div>
      )}

      <h3 className="rec-subheading">{t('rec.approvals')}</h3>
      {approvals.length === 0 ? (
        <p className="muted">{t('rec.approvals.none')}</p>
      ) : (
        <ul className="rec-approvals">
          {approvals.map((a) => (
            <li key={a.id}>
              <span>
                {approvalText(a, t)}{' '}
                <span className={`state-badge rec-approval-${a.state}`}>{t(`rec.approval.${a.state}`)}</span>
              </span>
              <span className="table-sub">
                {a.reason} · {t('rec.approval.requested', { date: formatDateTime(a.requestedAt, lang) })}
              </span>
              {a.state === 'pending' && mayRetain && a.requestedBy !== me.user.id && (
                <button
                  type="button"
                  className="button button-small"
                  onClick={() => setDialog({ kind: 'decide', approval: a })}
                >
                  {t('rec.approval.decide')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}

      {dialog && (
        <ActionDialog
          key={`${dialog.kind}-${dialog.approval?.id ?? ''}`}
          kind={dialog.kind}
          subject={
            dialog.approval
              ? `${subject} · ${approvalText(dialog.approval, t)}: ${dialog.approval.reason}`
              : subject
          }
          busy={busy}
          error={dialogError}
          onSubmit={run}
          onCancel={() => {
            setDialog(null);
            setDialogError(null);
          }}
        />
      )}
    </section>
  );
}

export function ClassBadge({ recording: r }: { recording: RecordingView }) {
  const { t } = usePreferences();
  return (
    <span className="rec-badges">
      <span className={`state-badge rec-class-${r.retention}`}>{t(`rec.class.${r.retention}`)}</span>
      {r.state !== 'complete' && (
        <span className={`state-badge rec-state-${r.state}`}>{t(`rec.state.${r.state}`)}</span>
      )}
    </span>
  );
}
