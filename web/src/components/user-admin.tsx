'use client';
/**
 * /admin/users/: the municipality's user accounts (issue 15). Create one (its one-time setup code
 * is shown exactly once), change a role, disable and enable, reset a password (a new code, valid
 * 30 minutes), reset a second factor (lost phone), see and end sessions. Every change asks for a
 * reason, which the audit log keeps.
 * Admins only; the gateway enforces that, the last-admin rule and the tenant too.
 */
import {
  type AdminUser,
  type MeResponse,
  type Role,
  SetupCodeResponse,
  UsersResponse,
} from '@lagebild/protocol';
import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import { ApiError, apiGet, apiPost } from '@/lib/api';
import { formatDateTime } from '@/lib/format';
import { AdminPage } from './admin-page';
import { DataTable } from './data-table';
import { ForbiddenNotice } from './forbidden-notice';
import { ReasonField, RoleField } from './form-fields';
import { ListStatus } from './list-status';
import { usePreferences } from './preferences-provider';
import { usePageApiError } from './use-page-api-error';
import { type UserAction, UserActionDialog, UserSessionsDialog } from './user-admin-dialogs';

export function UserAdmin({ me }: { me: MeResponse }) {
  return (
    <AdminPage me={me}>
      <UserAdminContent />
    </AdminPage>
  );
}

type ListState =
  | { kind: 'loading' }
  | { kind: 'ready'; users: AdminUser[] }
  | { kind: 'error'; message: string };

/** A 400's field list is the useful part of a refusal; anything else is the page's usual sentence. */
export function useUserApiError() {
  const { t } = usePreferences();
  const { forbidden, describeError } = usePageApiError();
  const describe = useCallback(
    (err: unknown): string =>
      err instanceof ApiError && (err.code === 'bad_request' || err.code === 'conflict')
        ? t('users.error.server', { message: err.issues.length > 0 ? err.issues.join('; ') : err.message })
        : describeError(err),
    [t, describeError],
  );
  return { forbidden, describe };
}

function UserAdminContent() {
  const { t } = usePreferences();
  const [list, setList] = useState<ListState>({ kind: 'loading' });
  const [code, setCode] = useState<SetupCodeResponse | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const { forbidden, describe } = useUserApiError();

  const load = useCallback(() => {
    apiGet('/api/admin/users', UsersResponse).then(
      (res) => setList({ kind: 'ready', users: res.users }),
      (err: unknown) => setList({ kind: 'error', message: describe(err) }),
    );
  }, [describe]);
  useEffect(load, [load]);

  if (forbidden) return <ForbiddenNotice message={t('forbidden.admin')} />;

  return (
    <div className="admin-page">
      <h1>{t('users.title')}</h1>
      <p className="muted">{t('users.intro')}</p>
      <p>
        <a href="/admin/sign-in/">{t('signIn.title')}</a>
      </p>
      <p role="status" className="notice-line">
        {notice}
      </p>
      {code ? (
        <SetupCodeOnce result={code} onDone={() => setCode(null)} />
      ) : (
        <CreateUserForm
          describeError={describe}
          onCreated={(result) => {
            setCode(result);
            setNotice(null);
            load();
          }}
        />
      )}
      <section aria-labelledby="user-list-title" className="card">
        <h2 id="user-list-title">{t('users.list.title')}</h2>
        <ListStatus state={list} loadingText={t('users.loading')} onRetry={load} />
        {list.kind === 'ready' && (
          <UserTable
            users={list.users}
            describeError={describe}
            onChanged={(message, setup) => {
              setNotice(message);
              if (setup) setCode(setup);
              load();
            }}
          />
        )}
      </section>
    </div>
  );
}

function CreateUserForm({
  onCreated,
  describeError,
}: {
  onCreated(result: SetupCodeResponse): void;
  describeError(err: unknown): string;
}) {
  const { t } = usePreferences();
  const [draft, setDraft] = useState({
    username: '',
    displayName: '',
    role: 'operator' as Role,
    email: '',
    reason: '',
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  const errorId = `${id}-error`;
  const set = (field: keyof typeof draft) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [field]: e.target.value }));

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!draft.username.trim() || !draft.displayName.trim() || draft.reason.trim().length < 5) {
      setError(t('users.error.required'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const result = await apiPost(
        '/api/admin/users',
        {
          username: draft.username.trim(),
          displayName: draft.displayName.trim(),
          role: draft.role,
          email: draft.email.trim() || null,
          reason: draft.reason.trim(),
        },
        SetupCodeResponse,
      );
      setDraft({ username: '', displayName: '', role: 'operator', email: '', reason: '' });
      onCreated(result);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const invalid = error ? true : undefined;
  return (
    <section aria-labelledby={`${id}-title`} className="card">
      <h2 id={`${id}-title`}>{t('users.create.title')}</h2>
      <form onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${id}-username`}>{t('users.field.username')}</label>
          <input
            id={`${id}-username`}
            value={draft.username}
            maxLength={64}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            aria-describedby={`${id}-username-hint ${errorId}`}
            aria-invalid={invalid}
            onChange={set('username')}
          />
          <span id={`${id}-username-hint`} className="field-hint">
            {t('users.field.username.hint')}
          </span>
        </div>
        <div className="field">
          <label htmlFor={`${id}-display`}>{t('users.field.displayName')}</label>
          <input
            id={`${id}-display`}
            value={draft.displayName}
            maxLength={100}
            autoComplete="off"
            aria-describedby={errorId}
            aria-invalid={invalid}
            onChange={set('displayName')}
          />
        </div>
        <RoleField
          id={`${id}-role`}
          value={draft.role}
          onChange={(role) => setDraft((d) => ({ ...d, role }))}
        />
        <div className="field">
          <label htmlFor={`${id}-email`}>{t('users.field.email')}</label>
          <input
            id={`${id}-email`}
            type="email"
            value={draft.email}
            maxLength={254}
            autoComplete="off"
            onChange={set('email')}
          />
        </div>
        <ReasonField
          id={`${id}-reason`}
          value={draft.reason}
          onChange={(reason) => setDraft((d) => ({ ...d, reason }))}
          errorId={errorId}
          invalid={Boolean(error)}
        />
        <div id={errorId} role="alert" className="form-error">
          {error}
        </div>
        <div className="button-row">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? t('users.create.submitting') : t('users.create.submit')}
          </button>
        </div>
      </form>
    </section>
  );
}

function SetupCodeOnce({ result, onDone }: { result: SetupCodeResponse; onDone(): void }) {
  const { t, lang } = usePreferences();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
  }, []);
  return (
    <section aria-labelledby="setup-code-title" className="card secret-card">
      <h2 id="setup-code-title" ref={headingRef} tabIndex={-1}>
        {t('users.code.title', { username: result.user.username })}
      </h2>
      <p className="warning">
        <span aria-hidden="true">⚠ </span>
        {t('users.code.warning')}
      </p>
      <p className="secret-value">
        <code data-testid="setup-code">{result.setupCode}</code>
      </p>
      <p>{t('users.code.validUntil', { time: formatDateTime(result.setupCodeExpiresAt, lang) })}</p>
      <div className="button-row">
        <button type="button" className="button button-primary" onClick={onDone}>
          {t('users.code.done')}
        </button>
      </div>
    </section>
  );
}

function UserTable({
  users,
  describeError,
  onChanged,
}: {
  users: AdminUser[];
  describeError(err: unknown): string;
  onChanged(message: string, setup?: SetupCodeResponse): void;
}) {
  const { t } = usePreferences();
  const [acting, setActing] = useState<{ user: AdminUser; action: UserAction } | null>(null);
  const [sessionsOf, setSessionsOf] = useState<AdminUser | null>(null);
  if (users.length === 0) return <p className="muted">{t('users.empty')}</p>;
  const actionButton = (
    user: AdminUser,
    action: UserAction,
    labelKey: Parameters<typeof t>[0],
    danger = false,
  ) => (
    <button
      type="button"
      className={`button button-small${danger ? ' button-danger' : ''}`}
      aria-label={t('users.action.label', { action: t(labelKey), name: user.displayName })}
      onClick={() => setActing({ user, action })}
    >
      {t(labelKey)}
    </button>
  );
  return (
    <>
      <DataTable
        columns={[
          t('users.col.user'),
          t('users.col.role'),
          t('users.col.state'),
          t('users.col.sessions'),
          t('users.col.actions'),
        ]}
      >
        {users.map((user) => (
          <tr key={user.id} className={user.disabledAt !== null ? 'is-revoked' : undefined}>
            <th scope="row">
              {user.displayName}
              <span className="table-sub">
                <code>{user.username}</code>
                {user.email ? ` · ${user.email}` : ''}
              </span>
            </th>
            <td>{t(`role.${user.role}`)}</td>
            <td>
              <span className={`state-badge state-${user.disabledAt !== null ? 'revoked' : 'active'}`}>
                {user.disabledAt !== null ? t('users.state.disabled') : t('users.state.active')}
              </span>
              {user.mustChangePassword && <span className="table-sub">{t('users.state.pending')}</span>}
              {user.totpEnabledAt !== null && <span className="table-sub">{t('users.state.totp')}</span>}
            </td>
            <td>{user.activeSessions}</td>
            <td>
              <div className="button-row">
                {actionButton(user, 'role', 'users.action.role')}
                {user.disabledAt === null
                  ? actionButton(user, 'disable', 'users.action.disable', true)
                  : actionButton(user, 'enable', 'users.action.enable')}
                {actionButton(user, 'reset', 'users.action.reset')}
                {user.totpEnabledAt !== null && actionButton(user, 'totp', 'users.action.totp', true)}
                <button
                  type="button"
                  className="button button-small"
                  aria-label={t('users.action.label', {
                    action: t('users.action.sessions'),
                    name: user.displayName,
                  })}
                  onClick={() => setSessionsOf(user)}
                >
                  {t('users.action.sessions')}
                </button>
              </div>
            </td>
          </tr>
        ))}
      </DataTable>
      {acting && (
        <UserActionDialog
          key={`${acting.user.id}:${acting.action}`}
          user={acting.user}
          action={acting.action}
          describeError={describeError}
          onClose={() => setActing(null)}
          onDone={(message, setup) => {
            setActing(null);
            onChanged(message, setup);
          }}
        />
      )}
      {sessionsOf && (
        <UserSessionsDialog
          user={sessionsOf}
          describeError={describeError}
          onClose={() => {
            setSessionsOf(null);
            onChanged('');
          }}
        />
      )}
    </>
  );
}
