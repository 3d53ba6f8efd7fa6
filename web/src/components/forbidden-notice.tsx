'use client';
/** A polite explanation instead of a broken page when the role may not see something. */
import { usePreferences } from './preferences-provider';

export function ForbiddenNotice({ message }: { message: string }) {
  const { t } = usePreferences();
  return (
    <section className="notice-page" aria-labelledby="forbidden-title">
      <h1 id="forbidden-title">{t('forbidden.title')}</h1>
      <p>{message}</p>
    </section>
  );
}
