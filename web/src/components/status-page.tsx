'use client';
/**
 * The frame of the 404 and error pages in the product's look: the header's brand and the language
 * and theme switches (no session is needed to read them), then a card with what happened and the
 * way on. German first, like every page.
 */
import type { ReactNode } from 'react';
import { LanguageSwitch, ThemeSwitch } from './preference-switches';
import { usePreferences } from './preferences-provider';
import { SkipLink } from './skip-link';

export function StatusPage({
  code,
  title,
  children,
}: {
  /** what the page stands for, e.g. 404 */
  code: string;
  title: string;
  children: ReactNode;
}) {
  const { t } = usePreferences();
  return (
    <div className="app">
      <SkipLink />
      <header className="app-header">
        <div className="brand">
          <span className="brand-name">{t('app.name')}</span>
          <span className="brand-tenant">{t('app.tagline')}</span>
        </div>
        <div className="header-tools">
          <LanguageSwitch />
          <ThemeSwitch />
        </div>
      </header>
      <main id="main" className="page-main">
        <section className="card status-page" aria-labelledby="status-title">
          <p className="status-code" aria-hidden="true">
            {code}
          </p>
          <h1 id="status-title">{title}</h1>
          {children}
        </section>
      </main>
    </div>
  );
}
