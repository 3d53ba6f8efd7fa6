'use client';
/**
 * The users page's dialogs: one change of a user (role, disable, enable, password reset, second
 * factor reset) with its reason, and a user's sessions with "end" for one or all. Modal `<dialog>`s: focus stays inside,
 * Escape closes, the first control gets focus.
 */
import {
  type AdminUser,
  EndSessionsResponse,
  SetupCodeResponse,
  UserResponse,
  type UserSession,
  UserSessionsResponse,
} from '@lagebild/protocol';
import { useCallback, useEffect, useId, useState } from 'react';
import { apiGet, apiPost } from '@/lib/api';
import { formatDateTime } from '@/lib/format';
import type { MessageKey } from '@/lib/i18n';
import { ConfirmDialog } from './confirm-dialog';
import { ReasonField, RoleField } from './form-fields';
import { usePreferences } from './preferences-provider';
import { useModal } from './use-modal';

export type UserAction = 'role' | 'disable' | 'enable' | 'reset' | 'totp';

const TITLE: Record<UserAction, MessageKey> = {
  role: 'users.dialog.role.title',
  disable: 'users.dialog.disable.title',
  enable: 'users.dialog.enable.title',
  reset: 'users.dialog.reset.title',
  totp: 'users.dialog.totp.title',
};
const BODY: Record<UserAction, MessageKey> = {
  role: 'users.dialog.role.body',
  disable: 'users.dialog.disable.body',
  enable: 'users.dialog.enable.body',
  reset: 'users.dialog.reset.body',
  totp: 'users.dialog.totp.body',
};
const PATH: Record<UserAction, string> = {
  role: 'role',
  disable: 'disable',
  enable: 'enable',
  reset: 'password-reset',
  totp: 'totp-reset',
};

export function UserActionDialog({
  user,
  action,
  describeError,
  onClose,
  onDone,
}: {
  user: AdminUser;
  action: UserAction;
  describeError(err: unknown): string;
  onClose(): void;
  onDone(message: string, setup?: SetupCodeResponse): void;
}) {
  const { t } = usePreferences();
  const id = useId();
  const [role, setRole] = useState(user.role);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const name = user.displayName;

  async function confirm() {
    if (reason.trim().length < 5) {
      setError(t('policies.error.reason'));
      return;
    }
    setBusy(true);
    setError(null);
    const url = `/api/admin/users/${encodeURIComponent(user.id)}/${PATH[action]}`;
    try {
      if (action === 'reset') {
        const result = await apiPost(url, { reason: reason.trim() }, SetupCodeResponse);
        onDone('', result);
        return;
      }
      const body = action === 'role' ? { role, reason: reason.trim() } : { reason: reason.trim() };
      const result = await apiPost(url, body, UserResponse);
      onDone(result.changed ? t(`users.done.${action}`, { name }) : t('users.done.unchanged', { name }));
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <ConfirmDialog
      id={id}
      title={t(TITLE[action], { name })}
      body={t(BODY[action])}
      error={error}
      busy={busy}
      cancelLabel={t('users.dialog.cancel')}
      confirmLabel={t('users.dialog.confirm')}
      danger={action === 'disable' || action === 'totp'}
      onConfirm={confirm}
      onClose={onClose}
    >
      {action === 'role' && <RoleField id={`${id}-role`} value={role} onChange={setRole} />}
      <ReasonField
        id={`${id}-reason`}
        value={reason}
        onChange={(value) => {
          setReason(value);
          // the message was about what was typed before: it goes with the next keystroke
          setError(null);
        }}
        errorId={`${id}-error`}
        invalid={Boolean(error)}
      />
    </ConfirmDialog>
  );
}

export function UserSessionsDialog({
  user,
  describeError,
  onClose,
}: {
  user: AdminUser;
  describeError(err: unknown): string;
  onClose(): void;
}) {
  const { t, lang } = usePreferences();
  const modal = useModal(onClose);
  const id = useId();
  const [sessions, setSessions] = useState<UserSession[] | null>(null);
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const url = `/api/admin/users/${encodeURIComponent(user.id)}/sessions`;

  const load = useCallback(() => {
    apiGet(url, UserSessionsResponse).then(
      (res) => setSessions(res.sessions),
      (err: unknown) => setError(describeError(err)),
    );
  }, [url, describeError]);
  useEffect(load, [load]);

  async function end(sessionRef?: string) {
    if (reason.trim().length < 5) {
      setError(t('policies.error.reason'));
      return;
    }
    setError(null);
    try {
      const body = sessionRef ? { reason: reason.trim(), sessionRef } : { reason: reason.trim() };
      const result = await apiPost(`${url}/end`, body, EndSessionsResponse);
      setMessage(t('users.sessions.ended', { count: result.ended }));
      load();
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <dialog ref={modal.ref} className="dialog" aria-labelledby={`${id}-title`} onClose={onClose}>
      <h2 id={`${id}-title`}>{t('users.sessions.title', { name: user.displayName })}</h2>
      <ReasonField
        id={`${id}-reason`}
        value={reason}
        onChange={(value) => {
          setReason(value);
          // only the message about the reason: a failed load of the sessions stays
          setError((e) => (e === t('policies.error.reason') ? null : e));
        }}
        errorId={`${id}-error`}
      />
      {sessions === null && !error && <p className="muted">{t('users.sessions.loading')}</p>}
      {sessions?.length === 0 && <p className="muted">{t('users.sessions.empty')}</p>}
      {sessions && sessions.length > 0 && (
        <ul>
          {sessions.map((s) => {
            const created = formatDateTime(s.createdAt, lang);
            return (
              <li key={s.ref}>
                {t('users.sessions.item', { created, expires: formatDateTime(s.expiresAt, lang) })}
                {s.current ? ` ${t('users.sessions.current')}` : ''}
                {s.ip ? <span className="table-sub">{s.ip}</span> : null}{' '}
                <button
                  type="button"
                  className="button button-small"
                  aria-label={t('users.sessions.endLabel', { created })}
                  onClick={() => end(s.ref)}
                >
                  {t('users.sessions.end')}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <p role="status">{message}</p>
      <div id={`${id}-error`} role="alert" className="form-error">
        {error}
      </div>
      <div className="button-row">
        <button type="button" className="button" onClick={modal.close}>
          {t('users.sessions.close')}
        </button>
        {sessions && sessions.length > 0 && (
          <button type="button" className="button button-danger" onClick={() => end()}>
            {t('users.sessions.endAll')}
          </button>
        )}
      </div>
    </dialog>
  );
}
