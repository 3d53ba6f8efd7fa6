'use client';
/**
 * The error page (issue 15): what a page shows when it fails while rendering, in the product's
 * look and language, with "try again" (re-renders the page) and the way to the start page. The
 * error's digest is shown as a reference; its message is not (it may name internals).
 */
import Link from 'next/link';
import { useEffect } from 'react';
import { usePreferences } from '@/components/preferences-provider';
import { StatusPage } from '@/components/status-page';

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset(): void }) {
  const { t } = usePreferences();
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <StatusPage code="!" title={t('error.title')}>
      <p>{t('error.body')}</p>
      {error.digest && <p className="muted">{t('error.reference', { digest: error.digest })}</p>}
      <p className="button-row">
        <button type="button" className="button button-primary" onClick={reset}>
          {t('error.retry')}
        </button>
        <Link href="/" className="button">
          {t('notFound.home')}
        </Link>
      </p>
    </StatusPage>
  );
}
