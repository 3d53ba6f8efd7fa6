'use client';
/**
 * The 404 page (issue 15): German first, in the product's look, naming the address that does not
 * exist and leading to the start page (which sends each role to its own home). In the static
 * export this is 404.html, which the gateway answers for every unknown page.
 */
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { usePreferences } from '@/components/preferences-provider';
import { StatusPage } from '@/components/status-page';

export default function NotFound() {
  const { t } = usePreferences();
  const [path, setPath] = useState('');
  useEffect(() => setPath(window.location.pathname), []);
  return (
    <StatusPage code="404" title={t('notFound.title')}>
      <p>{t('notFound.body', { path: path ? `„${path}“` : '' })}</p>
      <p>
        <Link href="/" className="button button-primary">
          {t('notFound.home')}
        </Link>
      </p>
    </StatusPage>
  );
}
