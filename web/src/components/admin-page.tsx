'use client';
/**
 * The frame of every administrators' page: skip link, header, and the page's content for an admin,
 * or the refusal for anyone else (the server refuses their API calls as well).
 */
import type { MeResponse } from '@lagebild/protocol';
import type { ReactNode } from 'react';
import { AppHeader } from './app-header';
import { ForbiddenNotice } from './forbidden-notice';
import { usePreferences } from './preferences-provider';
import { SkipLink } from './skip-link';

export function AdminPage({ me, children }: { me: MeResponse; children: ReactNode }) {
  const { t } = usePreferences();
  return (
    <div className="app">
      <SkipLink />
      <AppHeader me={me} />
      <main id="main" className="page-main">
        {me.user.role === 'admin' ? children : <ForbiddenNotice message={t('forbidden.admin')} />}
      </main>
    </div>
  );
}
