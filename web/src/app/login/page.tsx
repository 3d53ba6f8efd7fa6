'use client';
/** /login/: the only page reachable without a session. */
import { MeResponse } from '@lagebild/protocol';
import { useRouter } from 'next/navigation';
import { useEffect } from 'react';
import { LoginForm } from '@/components/login-form';
import { OidcSignIn } from '@/components/oidc-sign-in';
import { LanguageSwitch, ThemeSwitch } from '@/components/preference-switches';
import { usePreferences } from '@/components/preferences-provider';
import { apiGet } from '@/lib/api';
import { homeFor, safeNextPath } from '@/lib/home-path';

export default function LoginPage() {
  const { t } = usePreferences();
  const router = useRouter();

  // already signed in (e.g. a bookmarked login page): go straight on
  useEffect(() => {
    const abort = new AbortController();
    apiGet('/api/me', MeResponse, abort.signal).then(
      (me) =>
        router.replace(
          safeNextPath(new URLSearchParams(window.location.search).get('next'), homeFor(me.user.role)),
        ),
      () => {},
    );
    return () => abort.abort();
  }, [router]);

  return (
    <div className="login-page">
      <header className="login-header">
        <LanguageSwitch />
        <ThemeSwitch />
      </header>
      <main id="main" className="login-card">
        <p className="login-brand" aria-hidden="true">
          <span className="login-logo" />
          {t('app.name')}
        </p>
        <h1>
          <span className="visually-hidden">{t('app.name')}: </span>
          {t('login.title')}
        </h1>
        <p className="login-tagline">{t('app.tagline')}</p>
        <p>{t('login.intro')}</p>
        <LoginForm />
        <OidcSignIn />
      </main>
    </div>
  );
}
