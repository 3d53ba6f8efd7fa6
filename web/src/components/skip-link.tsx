'use client';
/** First focusable element of every page: jumps past the header to the main content. */
import { usePreferences } from './preferences-provider';

export function SkipLink() {
  const { t } = usePreferences();
  return (
    <a className="skip-link" href="#main">
      {t('app.skipToContent')}
    </a>
  );
}
