'use client';
import { LoginResponse } from '@lagebild/protocol';
/**
 * Sign-in with username and password. The gateway sets the HttpOnly session cookie; afterwards we go
 * to `?next=` (same-origin paths only) or the map.
 */
import { useRouter } from 'next/navigation';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { ApiError, apiPost } from '@/lib/api';
import { homeFor, safeNextPath } from '@/lib/home-path';
import type { MessageKey } from '@/lib/i18n';
import { PasswordField } from './form-fields';
import { usePreferences } from './preferences-provider';
import { SecondFactorForm } from './second-factor-form';
import { SetPasswordForm } from './user-admin-set-password';

export function LoginForm() {
  const { t } = usePreferences();
  const router = useRouter();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<{ key: MessageKey; detail?: string } | null>(null);
  const errorId = useId();
  const userRef = useRef<HTMLInputElement>(null);
  // a new or reset user signed in with their one-time code: they set a password first (issue 15)
  const [changing, setChanging] = useState<{ username: string; code: string } | null>(null);
  // the password was right; a second factor (or its enrolment, if the tenant requires one) follows
  const [second, setSecond] = useState<{ ticket: string; enrol: boolean } | null>(null);
  const goOn = (role: Parameters<typeof homeFor>[0]) =>
    router.replace(safeNextPath(new URLSearchParams(window.location.search).get('next'), homeFor(role)));

  useEffect(() => {
    userRef.current?.focus();
  }, []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!username.trim() || !password) {
      setError({ key: 'login.error.required' });
      return;
    }
    setSubmitting(true);
    setError(null);
    try {
      const me = await apiPost('/api/auth/login', { username: username.trim(), password }, LoginResponse);
      if ('passwordChangeRequired' in me) {
        setChanging({ username: username.trim(), code: password });
        setSubmitting(false);
        setPassword('');
        return;
      }
      if ('secondFactorRequired' in me || 'totpEnrolmentRequired' in me) {
        setSecond({ ticket: me.ticket, enrol: 'totpEnrolmentRequired' in me });
        setSubmitting(false);
        setPassword('');
        return;
      }
      goOn(me.user.role);
    } catch (err) {
      setSubmitting(false);
      setPassword('');
      if (err instanceof ApiError && (err.code === 'unauthenticated' || err.code === 'bad_request')) {
        setError({ key: 'login.error.invalid' });
      } else if (err instanceof ApiError && err.code === 'forbidden') {
        setError({ key: 'login.error.passwordOff' });
      } else if (err instanceof ApiError && err.code === 'rate_limited') {
        setError({ key: 'login.error.rateLimited' });
      } else if (err instanceof ApiError && err.code === 'network') {
        setError({ key: 'app.error.network' });
      } else {
        setError({ key: 'app.error.generic', detail: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  if (second)
    return (
      <SecondFactorForm
        ticket={second.ticket}
        enrol={second.enrol}
        onSignedIn={(me) => goOn(me.user.role)}
        onBack={() => {
          setSecond(null);
          setTimeout(() => userRef.current?.focus(), 0);
        }}
      />
    );

  if (changing)
    return (
      <SetPasswordForm
        username={changing.username}
        code={changing.code}
        onSecondFactor={(ticket, enrol) => {
          setChanging(null);
          setSecond({ ticket, enrol });
        }}
        onBack={() => {
          setChanging(null);
          setTimeout(() => userRef.current?.focus(), 0);
        }}
      />
    );

  return (
    <form className="login-form" onSubmit={submit} noValidate aria-describedby={error ? errorId : undefined}>
      <div className="field">
        <label htmlFor="login-username">{t('login.username')}</label>
        <input
          ref={userRef}
          id="login-username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          aria-invalid={error?.key === 'login.error.invalid' || undefined}
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
      </div>
      <PasswordField
        id="login-password"
        name="password"
        label={t('login.password')}
        autoComplete="current-password"
        value={password}
        onChange={setPassword}
        invalid={error?.key === 'login.error.invalid'}
      />
      <div id={errorId} role="alert" className="form-error">
        {error ? t(error.key, error.detail ? { message: error.detail } : undefined) : null}
      </div>
      <button type="submit" className="button button-primary button-wide" disabled={submitting}>
        {submitting ? t('login.submitting') : t('login.submit')}
      </button>
    </form>
  );
}
