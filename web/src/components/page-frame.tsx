'use client';
/**
 * The frame of every signed-in page: skip link, header, and the page's content in `<main>`; a
 * `RolePage` shows the refusal instead to a role the page is not for (the server refuses that
 * role's API calls as well, this only spares it a page of errors).
 */
import type { MeResponse } from '@lagebild/protocol';
import type { ReactNode } from 'react';
import { AppHeader } from './app-header';
import { ForbiddenNotice } from './forbidden-notice';
import { SkipLink } from './skip-link';

export function PageFrame({
  me,
  mainClassName,
  children,
}: {
  me: MeResponse;
  /** added to `page-main`, for a page's own layout */
  mainClassName?: string;
  children: ReactNode;
}) {
  return (
    <div className="app">
      <SkipLink />
      <AppHeader me={me} />
      <main id="main" className={mainClassName ? `page-main ${mainClassName}` : 'page-main'}>
        {children}
      </main>
    </div>
  );
}

export function RolePage({
  me,
  allowed,
  forbidden,
  mainClassName,
  children,
}: {
  me: MeResponse;
  allowed: boolean;
  /** the refusal shown when `allowed` is false */
  forbidden: string;
  mainClassName?: string;
  children: ReactNode;
}) {
  return (
    <PageFrame me={me} mainClassName={mainClassName}>
      {allowed ? children : <ForbiddenNotice message={forbidden} />}
    </PageFrame>
  );
}
