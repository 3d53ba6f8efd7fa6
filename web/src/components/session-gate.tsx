'use client';
/**
 * Loads the signed-in user (GET /api/me) and renders its children only once that is known. Without
 * a session it goes to the login page; while loading it shows a calm placeholder.
 */
import { MeResponse } from '@lagebild/protocol';
import { useRouter } from 'next/navigation';
import { type ReactNode, useCallback, useEffect, useState } from 'react';
import { ApiError, apiGet } from '@/lib/api';
import { usePreferences } from './preferences-provider';

type SessionState =
  | { kind: 'loading' }
  | { kind: 'ready'; me: MeResponse }
  | { kind: 'error'; error: ApiError };

export function SessionGate({ children }: { children: (me: MeResponse) => ReactNode }) {
  const { t } = usePreferences();
  const router = useRouter();
  const [state, setState] = useState<SessionState>({ kind: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    void attempt; // "retry" re-runs this effect
    const abort = new AbortController();
    apiGet('/api/me', MeResponse, abort.signal).then(
      (me) => setState({ kind: 'ready', me }),
      (err: unknown) => {
        if (abort.signal.aborted) return;
        if (err instanceof ApiError && err.code === 'unauthenticated') {
          router.replace(loginUrlFor(window.location));
          return;
        }
        setState({
          kind: 'error',
          error: err instanceof ApiError ? err : new ApiError(0, 'network', String(err)),
        });
      },
    );
    return () => abort.abort();
  }, [router, attempt]);

  const retry = useCallback(() => {
    setState({ kind: 'loading' });
    setAttempt((n) => n + 1);
  }, []);

  if (state.kind === 'ready') return children(state.me);
  return (
    <main className="splash" id="main">
      <p className="splash-brand">{t('app.name')}</p>
      {state.kind === 'loading' ? (
        <p role="status">{t('app.loading')}</p>
      ) : (
        <div role="alert" className="splash-error">
          <p>
            {state.error.code === 'network'
              ? t('app.error.network')
              : t('app.error.generic', { message: state.error.message })}
          </p>
          <button type="button" className="button" onClick={retry}>
            {t('app.retry')}
          </button>
        </div>
      )}
    </main>
  );
}

/** The login page sends the user back here afterwards (same-origin paths only). */
export function loginUrlFor(location: Pick<Location, 'pathname' | 'search'>): string {
  const back = `${location.pathname}${location.search}`;
  return back === '/' ? '/login/' : `/login/?next=${encodeURIComponent(back)}`;
}
