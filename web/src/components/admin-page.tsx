'use client';
/**
 * The frame of every administrators' page: the page's content for an admin, or the refusal for
 * anyone else (the server refuses their API calls as well).
 */
import type { MeResponse } from '@lagebild/protocol';
import type { ReactNode } from 'react';
import { RolePage } from './page-frame';
import { usePreferences } from './preferences-provider';

export function AdminPage({ me, children }: { me: MeResponse; children: ReactNode }) {
  const { t } = usePreferences();
  return (
    <RolePage me={me} allowed={me.user.role === 'admin'} forbidden={t('forbidden.admin')}>
      {children}
    </RolePage>
  );
}
