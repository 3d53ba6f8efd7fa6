'use client';
/**
 * The first-login step on /login/ (issue 15): a new or reset user signed in with their one-time
 * code, and the gateway answered that a password must be set first. The user types the new
 * password twice; it goes with the code to `POST /api/auth/password`, which signs them in. The
 * policy's refusals (short, common, containing the username) are worded here from the gateway's
 * codes; length and the username are also checked before sending.
 */
import { LoginResponse, PASSWORD_POLICY } from '@lagebild/protocol';
import { useRouter } from 'next/navigation';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { ApiError, apiPost } from '@/lib/api';
import { homeFor, safeNextPath } from '@/lib/home-path';
import type { MessageKey } from '@/lib/i18n';
import { localRefusals, REFUSAL_KEYS, refusalsIn } from '@/lib/users-password';
import { PasswordField } from './form-fields';
import { usePreferences } from './preferences-provider';

export function SetPasswordForm({
  username,
  code,
  onBack,
  onSecondFactor,
}: {
  username: string;
  /** the one-time code (or current password) the user just signed in with */
  code: string;
  onBack(): void;
  /** the password is set, and a second factor (or its enrolment) follows before the session */
  onSecondFactor?(ticket: string, enrol: boolean): void;
}) {
  const { t } = usePreferences();
  const router = useRouter();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [errors, setErrors] = useState<MessageKey[]>([]);
  const [submitting, setSubmitting] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const hintId = useId();
  const errorId = useId();
  const params = { min: PASSWORD_POLICY.minLength, max: PASSWORD_POLICY.maxLength };

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const local = localRefusals(password, repeat, username);
    if (local.length > 0) {
      setErrors(local);
      return;
    }
    setSubmitting(true);
    setErrors([]);
    try {
      const me = await apiPost(
        '/api/auth/password',
        { username, password: code, newPassword: password },
        LoginResponse,
      );
      if ('ticket' in me) {
        onSecondFactor?.(me.ticket, 'totpEnrolmentRequired' in me);
        return;
      }
      if (!('user' in me)) return;
      router.replace(
        safeNextPath(new URLSearchParams(window.location.search).get('next'), homeFor(me.user.role)),
      );
    } catch (err) {
      setSubmitting(false);
      if (err instanceof ApiError && err.code === 'bad_request') {
        const refusals = refusalsIn(err.issues).map((r) => REFUSAL_KEYS[r]);
        setErrors(refusals.length > 0 ? refusals : ['password.error.same']);
      } else if (err instanceof ApiError && err.code === 'unauthenticated') {
        setErrors(['password.error.expired']);
      } else if (err instanceof ApiError && err.code === 'rate_limited') {
        setErrors(['login.error.rateLimited']);
      } else {
        setErrors(['app.error.network']);
      }
    }
  }

  return (
    <section aria-labelledby="set-password-title">
      <h2 id="set-password-title" ref={headingRef} tabIndex={-1}>
        {t('password.title')}
      </h2>
      <p>{t('password.intro')}</p>
      <form className="login-form" onSubmit={submit} noValidate>
        {/* lets a password manager store the new password under the right name */}
        <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
        <PasswordField
          id="new-password"
          name="new-password"
          label={t('password.new')}
          autoComplete="new-password"
          value={password}
          onChange={setPassword}
          invalid={errors.length > 0}
          describedBy={`${hintId} ${errorId}`}
          hint={{ id: hintId, text: t('password.hint', params) }}
        />
        <PasswordField
          id="repeat-password"
          name="repeat-password"
          label={t('password.repeat')}
          autoComplete="new-password"
          value={repeat}
          onChange={setRepeat}
          invalid={errors.includes('password.error.mismatch')}
          describedBy={errorId}
        />
        <div id={errorId} role="alert" className="form-error">
          {errors.map((key) => (
            <p key={key}>{t(key, params)}</p>
          ))}
        </div>
        <button type="submit" className="button button-primary button-wide" disabled={submitting}>
          {submitting ? t('password.submitting') : t('password.submit')}
        </button>
        <button type="button" className="button button-wide" onClick={onBack}>
          {t('password.back')}
        </button>
      </form>
    </section>
  );
}
