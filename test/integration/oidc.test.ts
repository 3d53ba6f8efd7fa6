/**
 * Issue 15, "Sign-in through the municipality's identity provider": OpenID Connect against a real
 * provider (`oidc-provider`, test/src/oidc-provider.ts) on a loopback port, with a real gateway,
 * PostgreSQL and Redis. The test plays the browser: it follows the redirects, fills in the
 * provider's login form and comes back to the gateway's callback. A good sign-in creates the user
 * (linked by issuer and subject) with the role its groups map to, and updates it at the next one;
 * a user without a mapped group, an ID token for another audience, an expired one, another nonce
 * and a state that does not belong to the browser are refused, audited, and sent back to the login
 * page with a code. Logout answers the provider's end-session URL. With local passwords switched
 * off, only admins sign in with a password.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from '../src/clients.ts';
import { type OidcAccount, startOidcProvider, type TestOidcProvider } from '../src/oidc-provider.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';

let stack: Stack;
let idp: TestOidcProvider;
let adminCookie: string;
let dir: string;
const accounts: Record<string, OidcAccount> = {
  'anna.schmidt': { name: 'Anna Schmidt', email: 'anna.schmidt@duisburg.example', groups: ['OA-Leitstelle'] },
  'bernd.koch': { name: 'Bernd Koch', groups: ['Kantine'] },
};
const REASON = 'Anbindung an das Rathaus-Verzeichnis';

beforeAll(async () => {
  stack = await startStack({ devicesPerTenant: 1 });
  idp = await startOidcProvider({
    redirectUris: [`${stack.url}/api/auth/oidc/callback`],
    postLogoutRedirectUris: [`${stack.url}/login`],
    accounts,
  });
  dir = mkdtempSync(join(tmpdir(), 'lagebild-oidc-'));
  writeFileSync(join(dir, 'client-secret'), `${idp.clientSecret}\n`, { mode: 0o600 });
  adminCookie = await login(stack.url, 'duisburg.admin', DEMO_PASSWORD);
  const res = await settings({ passwordLogin: true });
  expect(res.status, await res.clone().text()).toBe(200);
}, 120_000);

afterAll(async () => {
  await idp?.stop();
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function settings(over: Record<string, unknown>, cookie = adminCookie) {
  return fetch(`${stack.url}/api/admin/sign-in`, {
    method: 'PUT',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({
      totpRequiredRoles: [],
      passwordLogin: true,
      oidc: {
        displayName: 'Rathaus Duisburg',
        issuer: idp.issuer,
        clientId: idp.clientId,
        clientSecretFile: join(dir, 'client-secret'),
        groupsClaim: 'groups',
        roleMap: { 'OA-Leitstelle': 'operator', 'OA-Leitung': 'supervisor' },
        enabled: true,
      },
      reason: REASON,
      ...over,
    }),
  });
}

/** A cookie jar per host, enough for two servers on loopback. */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  get(name: string) {
    return this.cookies.get(name);
  }
  set(name: string, value: string) {
    this.cookies.set(name, value);
  }
}

interface Flow {
  gw: Jar;
  idpJar: Jar;
  /** the provider's redirect back to the gateway, with code and state */
  callback: string;
}

/** Starts a sign-in and goes through the provider's login form up to its redirect back. */
async function throughProvider(account: string): Promise<Flow> {
  const gw = new Jar();
  const idpJar = new Jar();
  const start = await fetch(`${stack.url}/api/auth/oidc/duisburg/start`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  gw.take(start);
  let url = start.headers.get('location')!;
  expect(url.startsWith(idp.issuer)).toBe(true);
  for (let hop = 0; hop < 10; hop++) {
    if (url.startsWith(`${stack.url}/api/auth/oidc/callback`)) return { gw, idpJar, callback: url };
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: idpJar.header() } });
    idpJar.take(res);
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location')!, url).href;
      continue;
    }
    const html = await res.text();
    expect(res.status, html).toBe(200);
    // the provider's login form
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    expect(action, html).toBeTruthy();
    const post = await fetch(new URL(action!, url), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: idpJar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ prompt: 'login', login: account, password: 'irrelevant' }).toString(),
    });
    idpJar.take(post);
    expect(post.status, await post.clone().text()).toBeGreaterThanOrEqual(300);
    url = new URL(post.headers.get('location')!, url).href;
  }
  throw new Error('no redirect back to the gateway');
}

/** The gateway's callback: where its page moves on to, and the session cookie if one was set. */
async function callback(flow: Flow): Promise<{ to: string; session: string | undefined }> {
  const res = await fetch(flow.callback, { redirect: 'manual', headers: { cookie: flow.gw.header() } });
  const html = await res.text();
  flow.gw.take(res);
  const to = /content="0;url=([^"]+)"/.exec(html)![1]!;
  // signed in: 200 on to the control room; refused: 400 on to the login page's message
  expect(res.status, html).toBe(to.startsWith('/login?error=') ? 400 : 200);
  const session = flow.gw.get('lb_session');
  return { to, session: session ? `lb_session=${session}` : undefined };
}

async function refusals(code: string) {
  const { rows } = await stack.db.pool.query(
    `SELECT payload FROM audit_log WHERE action = 'oidc_login_refused' AND payload->>'code' = $1`,
    [code],
  );
  return rows.length;
}

describe('sign-in through the identity provider', () => {
  it('[SIGN6] creates the user with the mapped role, records how the session was opened, and updates the role next time', async () => {
    const { to, session } = await callback(await throughProvider('anna.schmidt'));
    expect(to).toBe('/');
    const me = await fetch(`${stack.url}/api/me`, { headers: { cookie: session! } });
    expect(me.status).toBe(200);
    const { user } = await me.json();
    expect(user).toMatchObject({
      username: 'anna.schmidt@duisburg',
      displayName: 'Anna Schmidt',
      role: 'operator',
    });
    expect(user.tenant.slug).toBe('duisburg');
    const { rows } = await stack.db.pool.query(
      `SELECT u.oidc_issuer, u.oidc_subject, u.password_hash, s.amr FROM users u JOIN sessions s ON s.user_id = u.id
        WHERE u.username = 'anna.schmidt@duisburg'`,
    );
    expect(rows[0]).toMatchObject({
      oidc_issuer: idp.issuer,
      oidc_subject: 'anna.schmidt',
      password_hash: null,
      amr: ['oidc'],
    });
    const created = await stack.db.pool.query(
      `SELECT payload FROM audit_log WHERE action = 'user_created' AND payload->>'via' = 'oidc'`,
    );
    expect(created.rows).toHaveLength(1);

    accounts['anna.schmidt']!.groups = ['OA-Leitstelle', 'OA-Leitung'];
    const again = await callback(await throughProvider('anna.schmidt'));
    const me2 = await (await fetch(`${stack.url}/api/me`, { headers: { cookie: again.session! } })).json();
    expect(me2.user).toMatchObject({ id: user.id, role: 'supervisor' });
    const changed = await stack.db.pool.query(
      `SELECT payload FROM audit_log WHERE action = 'role_changed' AND target = $1`,
      [`user:${user.id}`],
    );
    expect(changed.rows.at(-1)?.payload).toMatchObject({ from: 'operator', to: 'supervisor', via: 'oidc' });
  });

  it('[SIGN6] refuses a user none of whose groups is mapped, and audits it', async () => {
    const { to, session } = await callback(await throughProvider('bernd.koch'));
    expect(to).toBe('/login?error=oidc_no_role');
    expect(session).toBeUndefined();
    const { rowCount } = await stack.db.pool.query(`SELECT 1 FROM users WHERE oidc_subject = 'bernd.koch'`);
    expect(rowCount).toBe(0);
    expect(await refusals('oidc_no_role')).toBe(1);
  });

  for (const fault of ['wrong_audience', 'expired', 'wrong_nonce'] as const) {
    it(`[SIGN5] refuses an ID token with ${fault.replace('_', ' ')}`, async () => {
      const before = await refusals('oidc_failed');
      idp.misbehave(fault);
      try {
        const { to, session } = await callback(await throughProvider('anna.schmidt'));
        expect(to).toBe('/login?error=oidc_failed');
        expect(session).toBeUndefined();
      } finally {
        idp.misbehave(null);
      }
      expect(await refusals('oidc_failed')).toBe(before + 1);
    });
  }

  it('[SIGN5] refuses a state that does not belong to this browser (login CSRF)', async () => {
    const mine = await throughProvider('anna.schmidt');
    const other = await throughProvider('anna.schmidt');
    // the provider's answer for one sign-in, brought to a browser that started another
    mine.gw.set('lb_oidc', other.gw.get('lb_oidc')!);
    const { to, session } = await callback(mine);
    expect(to).toBe('/login?error=oidc_failed');
    expect(session).toBeUndefined();
    // and without any started sign-in
    const bare = await callback({ ...other, gw: new Jar() });
    expect(bare.to).toBe('/login?error=oidc_failed');
  });

  it('[SIGN7] logout ends the session and answers the provider’s end-session URL', async () => {
    const { session } = await callback(await throughProvider('anna.schmidt'));
    const res = await fetch(`${stack.url}/api/auth/oidc/logout`, {
      method: 'POST',
      headers: { cookie: session! },
    });
    expect(res.status).toBe(200);
    const { endSessionUrl } = await res.json();
    const url = new URL(endSessionUrl);
    expect(url.origin).toBe(idp.issuer);
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe(`${stack.url}/login`);
    expect(url.searchParams.get('id_token_hint')).toBeTruthy();
    expect((await fetch(`${stack.url}/api/me`, { headers: { cookie: session! } })).status).toBe(401);
    // the provider accepts the logout request
    const end = await fetch(url, { redirect: 'manual' });
    expect(end.status).toBe(200);
  });

  it('lists the provider on the login page', async () => {
    const res = await fetch(`${stack.url}/api/auth/oidc/providers`);
    expect(await res.json()).toEqual({
      providers: [{ tenant: 'duisburg', tenantName: expect.any(String), displayName: 'Rathaus Duisburg' }],
    });
  });
});

describe('the tenant’s sign-in settings', () => {
  it('[SIGN8] only admins change them; each change is audited with its reason', async () => {
    const sup = await login(stack.url, 'duisburg.supervisor', DEMO_PASSWORD);
    expect((await settings({}, sup)).status).toBe(403);
    const { rows } = await stack.db.pool.query(
      `SELECT reason FROM audit_log WHERE action = 'sign_in_settings_changed' ORDER BY seq`,
    );
    expect(rows.at(-1)).toEqual({ reason: REASON });
  });

  it('[SIGN8] with local passwords off, only admins sign in with a password (break-glass)', async () => {
    expect((await settings({ passwordLogin: false })).status).toBe(200);
    try {
      const op = await fetch(`${stack.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'duisburg.operator', password: DEMO_PASSWORD }),
      });
      expect(op.status).toBe(403);
      expect(await login(stack.url, 'duisburg.admin', DEMO_PASSWORD)).toMatch(/^lb_session=/);
      // another tenant is not affected
      expect(await login(stack.url, 'dortmund.operator', DEMO_PASSWORD)).toMatch(/^lb_session=/);
    } finally {
      expect((await settings({ passwordLogin: true })).status).toBe(200);
    }
  });

  it('[SIGN8] refuses to switch passwords off without an enabled provider', async () => {
    expect((await settings({ passwordLogin: false, oidc: null })).status).toBe(400);
  });
});
