'use client';
/**
 * How a page reacts to a failed API call: an expired session goes to the login page, a refusal
 * switches the page to its "no access" notice (`forbidden`), and the error becomes a sentence for the
 * page to show.
 */
import { useRouter } from 'next/navigation';
import { useCallback, useState } from 'react';
import { ApiError } from '@/lib/api';
import { usePreferences } from './preferences-provider';

export function usePageApiError(): { forbidden: boolean; describeError: (err: unknown) => string } {
  const { t } = usePreferences();
  const router = useRouter();
  const [forbidden, setForbidden] = useState(false);
  const describeError = useCallback(
    (err: unknown): string => {
      if (err instanceof ApiError && err.code === 'unauthenticated') router.replace('/login/');
      if (err instanceof ApiError && err.code === 'forbidden') setForbidden(true);
      if (err instanceof ApiError && err.code === 'network') return t('app.error.network');
      return t('app.error.generic', { message: err instanceof Error ? err.message : String(err) });
    },
    [router, t],
  );
  return { forbidden, describeError };
}
