'use client';
/**
 * "Anmelden mit <Anbieter>" (issue 15): one link per municipality whose identity provider is set
 * up; the gateway takes it from there (PKCE, state, nonce) and comes back signed in, or to
 * /login/?error=<code>, which this component words.
 */
import { OidcProvidersResponse, OidcRefusal } from '@lagebild/protocol';
import { useEffect, useState } from 'react';
import { apiGet } from '@/lib/api';
import { usePreferences } from './preferences-provider';

export function OidcSignIn() {
  const { t } = usePreferences();
  const [providers, setProviders] = useState<OidcProvidersResponse['providers']>([]);
  const [refusal, setRefusal] = useState<OidcRefusal | null>(null);

  useEffect(() => {
    const parsed = OidcRefusal.safeParse(new URLSearchParams(window.location.search).get('error'));
    if (parsed.success) setRefusal(parsed.data);
    const abort = new AbortController();
    apiGet('/api/auth/oidc/providers', OidcProvidersResponse, abort.signal).then(
      (r) => setProviders(r.providers),
      () => {},
    );
    return () => abort.abort();
  }, []);

  return (
    <>
      {refusal ? (
        <p role="alert" className="form-error" data-testid="oidc-error">
          {t(`login.oidc.error.${refusal}`)}
        </p>
      ) : null}
      {providers.length > 0 ? (
        <div className="login-oidc">
          <p className="login-oidc-or">{t('login.oidc.or')}</p>
          {providers.map((p) => (
            <a
              key={p.tenant}
              className="button button-wide"
              href={`/api/auth/oidc/${encodeURIComponent(p.tenant)}/start`}
            >
              {t('login.oidc.button', { provider: p.displayName })}
            </a>
          ))}
        </div>
      ) : null}
    </>
  );
}
