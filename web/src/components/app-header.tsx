'use client';
/**
 * The bar at the top of every signed-in page: product and tenant, navigation, live status (on the
 * map page), who is signed in, language and theme switches, sign out.
 */
import {
  AUDIT_ROLES,
  DUTY_ROLES,
  LIVE_ROLES,
  type MeResponse,
  OidcLogoutResponse,
  RECORDING_ROLES,
  REPORT_ROLES,
  STATS_ROLES,
} from '@lagebild/protocol';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { type ReactNode, useState } from 'react';
import { apiPost } from '@/lib/api';
import { LanguageSwitch, ThemeSwitch } from './preference-switches';
import { usePreferences } from './preferences-provider';

export function AppHeader({ me, status, tools }: { me: MeResponse; status?: ReactNode; tools?: ReactNode }) {
  const { t } = usePreferences();
  const router = useRouter();
  const pathname = usePathname();
  const [signingOut, setSigningOut] = useState(false);
  const { user } = me;

  async function signOut() {
    setSigningOut(true);
    try {
      // ends the session; after a sign-in through the identity provider, its end-session URL
      // follows (RP-initiated logout), which comes back to the login page
      const { endSessionUrl } = await apiPost('/api/auth/oidc/logout', {}, OidcLogoutResponse);
      if (endSessionUrl) {
        window.location.assign(endSessionUrl);
        return;
      }
    } catch {
      // the session may already be gone; the login page is the right place either way
    }
    router.replace('/login/');
  }

  const links = [
    ...(LIVE_ROLES.includes(user.role) ? [{ href: '/', label: t('nav.map') }] : []),
    ...(DUTY_ROLES.includes(user.role) ? [{ href: '/dienst/', label: t('nav.duty') }] : []),
    ...(user.role === 'admin' ? [{ href: '/admin/devices/', label: t('nav.devices') }] : []),
    ...(user.role === 'admin' ? [{ href: '/admin/users/', label: t('nav.users') }] : []),
    ...(user.role === 'admin' ? [{ href: '/admin/sign-in/', label: t('nav.signIn') }] : []),
    ...(user.role === 'admin' ? [{ href: '/admin/policies/', label: t('nav.policies') }] : []),
    ...(REPORT_ROLES.includes(user.role) ? [{ href: '/reports/', label: t('nav.reports') }] : []),
    ...(STATS_ROLES.includes(user.role) ? [{ href: '/evaluation/', label: t('nav.evaluation') }] : []),
    ...(RECORDING_ROLES.includes(user.role) ? [{ href: '/recordings/', label: t('nav.recordings') }] : []),
    ...(AUDIT_ROLES.includes(user.role) ? [{ href: '/audit/', label: t('nav.audit') }] : []),
  ];

  return (
    <header className="app-header">
      <div className="brand">
        <span className="brand-name">{t('app.name')}</span>
        <span className="brand-tenant">{user.tenant.name}</span>
      </div>
      {links.length > 0 && (
        <nav aria-label={t('nav.main')} className="main-nav">
          <ul>
            {links.map((link) => (
              <li key={link.href}>
                <Link href={link.href} aria-current={pathname === link.href ? 'page' : undefined}>
                  {link.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <div className="header-status">{status}</div>
      <div className="header-tools">
        <span className="header-user">
          <span className="header-user-name">{user.displayName}</span>
          <span className="header-user-role">{t(`role.${user.role}`)}</span>
        </span>
        {tools}
        <LanguageSwitch />
        <ThemeSwitch />
        <button type="button" className="button" onClick={signOut} disabled={signingOut}>
          {t('header.logout')}
        </button>
      </div>
    </header>
  );
}
