'use client';
/**
 * /admin/sign-in/: the tenant's sign-in settings (issue 15): roles that must use a second factor,
 * whether passwords are allowed (admins keep theirs as break-glass), and the OpenID Connect
 * provider with its group → role mapping. Saving asks for a reason (audited). Admins only; the
 * gateway enforces that and the tenant.
 */
import { type MeResponse, Role, SignInSettings } from '@lagebild/protocol';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { ApiError, apiGet, apiPut } from '@/lib/api';
import type { MessageKey } from '@/lib/i18n';
import { AdminPage } from './admin-page';
import { ReasonField } from './form-fields';
import { usePreferences } from './preferences-provider';

export function SignInSettingsAdmin({ me }: { me: MeResponse }) {
  return (
    <AdminPage me={me}>
      <SignInSettingsForm />
    </AdminPage>
  );
}

const ROLES = Role.options;
const EMPTY_OIDC = {
  displayName: '',
  issuer: '',
  clientId: '',
  clientSecretFile: '',
  groupsClaim: 'groups',
  roleMap: {} as Record<string, Role>,
  enabled: true,
};

/** "group = role" lines → the mapping, or the first bad line's number */
function parseRoleMap(text: string): Record<string, Role> | number {
  const map: Record<string, Role> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const at = line.lastIndexOf('=');
    const role = Role.safeParse(line.slice(at + 1).trim());
    const group = line.slice(0, at).trim();
    if (at < 1 || !group || !role.success) return i + 1;
    map[group] = role.data;
  }
  return map;
}

function SignInSettingsForm() {
  const { t } = usePreferences();
  const [settings, setSettings] = useState<SignInSettings | null>(null);
  const [useOidc, setUseOidc] = useState(false);
  const [oidc, setOidc] = useState(EMPTY_OIDC);
  const [roleMapText, setRoleMapText] = useState('');
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<{ key: MessageKey; vars?: Record<string, string> } | null>(null);
  const [busy, setBusy] = useState(false);
  const errorId = useId();

  useEffect(() => {
    const abort = new AbortController();
    apiGet('/api/admin/sign-in', SignInSettings, abort.signal).then(
      (s) => {
        setSettings(s);
        setUseOidc(s.oidc !== null);
        if (s.oidc) {
          setOidc({ ...EMPTY_OIDC, ...s.oidc });
          setRoleMapText(
            Object.entries(s.oidc.roleMap)
              .map(([g, r]) => `${g} = ${r}`)
              .join('\n'),
          );
        }
      },
      () => setMessage({ key: 'app.error.network' }),
    );
    return () => abort.abort();
  }, []);

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!settings) return;
    const roleMap = parseRoleMap(roleMapText);
    if (typeof roleMap === 'number') {
      setMessage({ key: 'signIn.error.roleMap', vars: { line: String(roleMap) } });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      const saved = await apiPut(
        '/api/admin/sign-in',
        {
          totpRequiredRoles: settings.totpRequiredRoles,
          passwordLogin: settings.passwordLogin,
          oidc: useOidc ? { ...oidc, roleMap } : null,
          reason,
        },
        SignInSettings,
      );
      setSettings(saved);
      setReason('');
      setMessage({ key: 'signIn.saved' });
    } catch (err) {
      setMessage({
        key: 'app.error.generic',
        vars: { message: err instanceof ApiError ? err.message : String(err) },
      });
    } finally {
      setBusy(false);
    }
  }

  if (!settings) return <p role="status">{message ? t(message.key, message.vars) : t('app.loading')}</p>;

  const field = (key: keyof typeof EMPTY_OIDC & string, label: MessageKey) => (
    <div className="field">
      <label htmlFor={`oidc-${key}`}>{t(label)}</label>
      <input
        id={`oidc-${key}`}
        value={String(oidc[key])}
        onChange={(e) => setOidc({ ...oidc, [key]: e.target.value })}
        autoComplete="off"
        spellCheck={false}
      />
    </div>
  );

  return (
    <section aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">{t('signIn.title')}</h1>
      <p>{t('signIn.intro')}</p>
      <form onSubmit={save} noValidate aria-describedby={errorId}>
        <fieldset>
          <legend>{t('signIn.totpRoles')}</legend>
          {ROLES.map((r) => (
            <label key={r} className="checkbox">
              <input
                type="checkbox"
                checked={settings.totpRequiredRoles.includes(r)}
                onChange={(e) =>
                  setSettings({
                    ...settings,
                    totpRequiredRoles: e.target.checked
                      ? [...settings.totpRequiredRoles, r]
                      : settings.totpRequiredRoles.filter((x) => x !== r),
                  })
                }
              />{' '}
              {t(`role.${r}`)}
            </label>
          ))}
        </fieldset>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={settings.passwordLogin}
            onChange={(e) => setSettings({ ...settings, passwordLogin: e.target.checked })}
          />{' '}
          {t('signIn.passwordLogin')}
        </label>
        <fieldset>
          <legend>{t('signIn.oidc.title')}</legend>
          <label className="checkbox">
            <input type="checkbox" checked={!useOidc} onChange={(e) => setUseOidc(!e.target.checked)} />{' '}
            {t('signIn.oidc.remove')}
          </label>
          {useOidc ? (
            <>
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={oidc.enabled}
                  onChange={(e) => setOidc({ ...oidc, enabled: e.target.checked })}
                />{' '}
                {t('signIn.oidc.enabled')}
              </label>
              {field('displayName', 'signIn.oidc.displayName')}
              {field('issuer', 'signIn.oidc.issuer')}
              {field('clientId', 'signIn.oidc.clientId')}
              {field('clientSecretFile', 'signIn.oidc.clientSecretFile')}
              {field('groupsClaim', 'signIn.oidc.groupsClaim')}
              <div className="field">
                <label htmlFor="oidc-roleMap">{t('signIn.oidc.roleMap')}</label>
                <textarea
                  id="oidc-roleMap"
                  rows={4}
                  value={roleMapText}
                  onChange={(e) => setRoleMapText(e.target.value)}
                  spellCheck={false}
                />
              </div>
            </>
          ) : null}
        </fieldset>
        <ReasonField id="sign-in-reason" value={reason} onChange={setReason} errorId={errorId} />
        <div id={errorId} role="alert" className="form-error">
          {message ? t(message.key, message.vars) : null}
        </div>
        <button type="submit" className="button button-primary" disabled={busy}>
          {t('signIn.save')}
        </button>
      </form>
    </section>
  );
}
