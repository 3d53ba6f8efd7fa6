'use client';
import { MeResponse, TotpEnrolResponse } from '@lagebild/protocol';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { ApiError, apiPost } from '@/lib/api';
import type { MessageKey } from '@/lib/i18n';
import { usePreferences } from './preferences-provider';
/**
 * The second step of a login (issue 15): the code from the authenticator app with the login's
 * ticket, or — when the tenant requires a second factor for the role and none is set up — the
 * enrolment first: the key shown once (text and otpauth:// link), then the first code, which signs in.
 */
import { TotpQrCode } from './totp-qr-code';

export function SecondFactorForm({
  ticket,
  enrol,
  onSignedIn,
  onBack,
}: {
  ticket: string;
  enrol: boolean;
  onSignedIn: (me: MeResponse) => void;
  onBack: () => void;
}) {
  const { t } = usePreferences();
  const [code, setCode] = useState('');
  const [secret, setSecret] = useState<TotpEnrolResponse | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<MessageKey | null>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  const hintId = useId();
  const errorId = useId();

  // the code field appears with the key: focus it then, too
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-run when the key is shown
  useEffect(() => {
    codeRef.current?.focus();
  }, [secret]);

  async function startEnrolment() {
    setBusy(true);
    setError(null);
    try {
      setSecret(await apiPost('/api/auth/totp/enrol', { ticket }, TotpEnrolResponse));
    } catch {
      setError('totp.error.expired');
    } finally {
      setBusy(false);
    }
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const url = enrol ? '/api/auth/totp/confirm' : '/api/auth/totp';
      onSignedIn(await apiPost(url, { ticket, code }, MeResponse));
    } catch (err) {
      setBusy(false);
      setCode('');
      if (err instanceof ApiError && err.code === 'rate_limited') setError('login.error.rateLimited');
      else if (err instanceof ApiError && err.code === 'unauthenticated') setError('totp.error.invalid');
      else setError('totp.error.expired');
    }
  }

  if (enrol && !secret)
    return (
      <div className="login-form">
        <h2>{t('totp.enrol.title')}</h2>
        <p>{t('totp.enrol.required')}</p>
        <div id={errorId} role="alert" className="form-error">
          {error ? t(error) : null}
        </div>
        <button
          type="button"
          className="button button-primary button-wide"
          onClick={startEnrolment}
          disabled={busy}
        >
          {t('totp.enrol.start')}
        </button>
        <button type="button" className="button button-wide" onClick={onBack}>
          {t('totp.back')}
        </button>
      </div>
    );

  return (
    <form className="login-form" onSubmit={submit} noValidate aria-describedby={error ? errorId : undefined}>
      <h2>{enrol ? t('totp.enrol.title') : t('totp.login.title')}</h2>
      {secret ? (
        <>
          <p>{t('totp.enrol.steps')}</p>
          <TotpQrCode uri={secret.uri} label={t('totp.enrol.qr')} />
          <p>
            {t('totp.enrol.secret')}: <code data-testid="totp-secret">{secret.secret}</code>
          </p>
          <p>
            <a href={secret.uri}>{t('totp.enrol.uri')}</a>
          </p>
        </>
      ) : (
        <p>{t('totp.login.intro')}</p>
      )}
      <div className="field">
        <label htmlFor="totp-code">{t('totp.code')}</label>
        <input
          ref={codeRef}
          id="totp-code"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9 ]*"
          maxLength={7}
          required
          aria-describedby={hintId}
          aria-invalid={error === 'totp.error.invalid' || undefined}
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
        <p id={hintId} className="field-hint">
          {t('totp.code.hint')}
        </p>
      </div>
      <div id={errorId} role="alert" className="form-error">
        {error ? t(error) : null}
      </div>
      <button type="submit" className="button button-primary button-wide" disabled={busy}>
        {busy ? t('totp.submitting') : t('totp.submit')}
      </button>
      <button type="button" className="button button-wide" onClick={onBack}>
        {t('totp.back')}
      </button>
    </form>
  );
}
