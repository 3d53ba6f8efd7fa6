/**
 * Issue 15, "Users and roles (admin, own tenant)": the users API against a real gateway, PostgreSQL
 * and Redis. Creating a user hands out a one-time setup code; the first login with it asks for a
 * password that must meet the policy; role changes, disabling and resets end the user's sessions
 * at once (the session sweeper is set to a minute here, so "at once" is not the sweeper); the last
 * enabled admin of a tenant stays; another tenant's user ids answer like unknown ones; only admins
 * get in; every change is an audit entry with its reason, written with the change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectOperator, login, waitFor } from '../src/clients.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';

let stack: Stack;
const cookies: Record<string, string> = {};
const GOOD = 'Fenster-Trockenbau-Mond-7';

beforeAll(async () => {
  stack = await startStack({ devicesPerTenant: 1, gatewayEnv: { SESSION_SWEEP_MS: '60000' } });
  for (const u of [
    'duisburg.admin',
    'duisburg.supervisor',
    'duisburg.operator',
    'duisburg.evaluator',
    'dortmund.admin',
  ])
    cookies[u] = await login(stack.url, u, DEMO_PASSWORD);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

function call(cookie: string | undefined, path: string, body?: unknown): Promise<Response> {
  return fetch(`${stack.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      ...(cookie ? { cookie } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
const admin = (path: string, body?: unknown) => call(cookies['duisburg.admin'], path, body);
const REASON = 'Dienstantritt laut Personalamt';

let serial = 0;
async function createUser(
  role = 'operator',
  by = 'duisburg.admin',
): Promise<{ id: string; username: string; code: string }> {
  const username = `duisburg.neu${++serial}`;
  const res = await call(cookies[by], '/api/admin/users', {
    username,
    displayName: `Neue Kraft ${serial}`,
    role,
    email: `neu${serial}@duisburg.example`,
    reason: REASON,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const body = await res.json();
  return { id: body.user.id, username, code: body.setupCode };
}

function tryLogin(username: string, password: string) {
  return call(undefined, '/api/auth/login', { username, password });
}
function setPassword(username: string, password: string, newPassword: string) {
  return call(undefined, '/api/auth/password', { username, password, newPassword });
}
const cookieOf = (res: Response) => res.headers.get('set-cookie')?.split(';')[0] ?? '';

/** A user who has set their password, with a session. */
async function activeUser(role = 'operator') {
  const u = await createUser(role);
  const res = await setPassword(u.username, u.code, `${GOOD}-${serial}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return { ...u, password: `${GOOD}-${serial}`, cookie: cookieOf(res) };
}

async function audit(action: string, target: string) {
  const { rows } = await stack.db.pool.query(
    'SELECT actor, reason, payload FROM audit_log WHERE action = $1 AND target = $2 ORDER BY seq',
    [action, target],
  );
  return rows as Array<{ actor: string; reason: string | null; payload: Record<string, unknown> }>;
}

describe('a new user', () => {
  it('gets a one-time setup code; the first login asks for a password, then the password works', async () => {
    const u = await createUser();
    expect(u.code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    const { rows } = await stack.db.pool.query(
      'SELECT password_hash, setup_code_hash, must_change_password FROM users WHERE id = $1',
      [u.id],
    );
    expect(rows[0]).toMatchObject({ password_hash: null, must_change_password: true });
    expect(rows[0].setup_code_hash).not.toContain(u.code.replaceAll('-', ''));

    const first = await tryLogin(u.username, u.code.toLowerCase());
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ passwordChangeRequired: true });
    expect(first.headers.get('set-cookie')).toBeNull();

    const set = await setPassword(u.username, u.code, GOOD);
    expect(set.status).toBe(200);
    expect((await set.json()).user).toMatchObject({ username: u.username, role: 'operator' });
    expect((await call(cookieOf(set), '/api/me')).status).toBe(200);

    const again = await tryLogin(u.username, GOOD);
    expect(again.status).toBe(200);
    expect((await again.json()).user.username).toBe(u.username);
    // the code is used up
    expect((await tryLogin(u.username, u.code)).status).toBe(401);

    expect(await audit('user_created', `user:${u.id}`)).toEqual([
      expect.objectContaining({ actor: 'duisburg.admin', reason: REASON }),
    ]);
    expect(await audit('password_changed', `user:${u.id}`)).toEqual([
      expect.objectContaining({ actor: u.username, payload: expect.objectContaining({ via: 'setup_code' }) }),
    ]);
    // the audit view names the administered user, and finds the entry by that name
    const view = await admin(`/api/audit?action=user_created&target=${encodeURIComponent(u.username)}`);
    expect(view.status).toBe(200);
    const { entries } = (await view.json()) as { entries: Array<{ target: string; targetLabel?: unknown }> };
    expect(entries).toEqual([
      expect.objectContaining({
        target: `user:${u.id}`,
        targetLabel: { kind: 'user', label: expect.stringMatching(/^Neue Kraft/) },
      }),
    ]);
  });

  it('is refused a password that is short, common or contains the username, with the reason', async () => {
    const u = await createUser();
    const refused = async (pw: string) => {
      const res = await setPassword(u.username, u.code, pw);
      expect(res.status, pw).toBe(400);
      return ((await res.json()).error.issues as string[]).join(' ');
    };
    expect(await refused('kurz-7')).toContain('password_too_short');
    expect(await refused('password1234')).toContain('password_common');
    expect(await refused('qwertzuiopasdf')).toContain('password_common');
    expect(await refused(`X-${u.username}-Fenster`)).toContain('password_contains_username');
    expect(await refused('a'.repeat(129))).toContain('password_too_long');
    // the refusals did not use up the code
    expect((await setPassword(u.username, u.code, GOOD)).status).toBe(200);
  });

  it('needs a reason and a well-formed username; a taken username is a conflict', async () => {
    const { reason: _r, ...noReason } = {
      username: 'duisburg.ohnegrund',
      displayName: 'Ohne Grund',
      role: 'operator',
      reason: REASON,
    };
    expect((await admin('/api/admin/users', noReason)).status).toBe(400);
    expect((await admin('/api/admin/users', { ...noReason, username: 'A B', reason: REASON })).status).toBe(
      400,
    );
    const taken = await admin('/api/admin/users', {
      ...noReason,
      username: 'dortmund.operator',
      reason: REASON,
    });
    expect(taken.status).toBe(409);
  });
});

describe('changing one’s own password', () => {
  it('works with the current password, ends the other sessions and retires the old password', async () => {
    const u = await activeUser('operator');
    expect((await setPassword(u.username, u.password, u.password)).status).toBe(400);
    const res = await setPassword(u.username, u.password, `${GOOD}-gewechselt`);
    expect(res.status).toBe(200);
    expect((await call(u.cookie, '/api/me')).status).toBe(401);
    expect((await call(cookieOf(res), '/api/me')).status).toBe(200);
    expect((await tryLogin(u.username, u.password)).status).toBe(401);
    expect((await tryLogin(u.username, `${GOOD}-gewechselt`)).status).toBe(200);
    expect((await audit('password_changed', `user:${u.id}`)).at(-1)).toMatchObject({
      payload: { via: 'password', sessionsEnded: 1 },
    });
  });
});

describe('role changes', () => {
  it('take effect: the old sessions end and the next sign-in has the new role', async () => {
    const u = await activeUser('operator');
    expect((await call(u.cookie, '/api/units')).status).toBe(200);
    const res = await admin(`/api/admin/users/${u.id}/role`, {
      role: 'evaluator',
      reason: 'Wechsel in die Auswertung',
    });
    expect(res.status).toBe(200);
    expect((await res.json()).user.role).toBe('evaluator');
    expect((await call(u.cookie, '/api/me')).status).toBe(401);
    const cookie = await login(stack.url, u.username, u.password);
    expect((await call(cookie, '/api/units')).status).toBe(403);
    expect((await call(cookie, '/api/me').then((r) => r.json())).user.role).toBe('evaluator');
    expect(await audit('role_changed', `user:${u.id}`)).toEqual([
      expect.objectContaining({
        reason: 'Wechsel in die Auswertung',
        payload: expect.objectContaining({ old: 'operator', new: 'evaluator' }),
      }),
    ]);
  });
});

describe('disabling', () => {
  it('ends the sessions and the /control socket at once; enabling lets the user in again', async () => {
    const u = await activeUser('operator');
    const op = await connectOperator(stack.url, u.cookie);
    try {
      const res = await admin(`/api/admin/users/${u.id}/disable`, { reason: 'Dienstverhältnis beendet' });
      expect(res.status).toBe(200);
      // the sweeper runs once a minute here: this is the change itself ending the session
      await op.waitFor(() => op.events.some((e) => e.event === 'bye'), 3000, 'bye');
      expect(op.events.find((e) => e.event === 'bye')!.msg).toMatchObject({ code: 'unauthenticated' });
      await waitFor(() => op.socket.disconnected, 3000, 'socket closed');
    } finally {
      op.close();
    }
    expect((await call(u.cookie, '/api/me')).status).toBe(401);
    expect((await tryLogin(u.username, u.password)).status).toBe(401);
    expect(
      (await admin(`/api/admin/users/${u.id}/enable`, { reason: 'Rückkehr in den Dienst' })).status,
    ).toBe(200);
    expect((await tryLogin(u.username, u.password)).status).toBe(200);
    expect((await audit('user_disabled', `user:${u.id}`))[0]).toMatchObject({
      reason: 'Dienstverhältnis beendet',
      payload: { sessionsEnded: 1 },
    });
    expect((await audit('user_enabled', `user:${u.id}`))[0]).toMatchObject({
      reason: 'Rückkehr in den Dienst',
    });
  });
});

describe('password reset', () => {
  it('hands out a code once, valid for 30 minutes; the old password and sessions end', async () => {
    const u = await activeUser('operator');
    const res = await admin(`/api/admin/users/${u.id}/password-reset`, { reason: 'Passwort vergessen' });
    expect(res.status).toBe(200);
    const { setupCode, setupCodeExpiresAt } = await res.json();
    expect(setupCodeExpiresAt - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(setupCodeExpiresAt - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    expect((await call(u.cookie, '/api/me')).status).toBe(401);
    expect((await tryLogin(u.username, u.password)).status).toBe(401);
    expect(await (await tryLogin(u.username, setupCode)).json()).toEqual({ passwordChangeRequired: true });
    expect((await setPassword(u.username, setupCode, `${GOOD}-neu`)).status).toBe(200);
    // once: the code does not work a second time
    expect((await setPassword(u.username, setupCode, `${GOOD}-nochmal`)).status).toBe(401);
    expect((await audit('password_reset', `user:${u.id}`))[0]).toMatchObject({
      reason: 'Passwort vergessen',
    });
  });

  it('a code past its 30 minutes no longer works', async () => {
    const u = await activeUser('operator');
    const res = await admin(`/api/admin/users/${u.id}/password-reset`, { reason: 'Passwort vergessen' });
    const { setupCode } = await res.json();
    await stack.db.pool.query(
      `UPDATE users SET setup_code_expires_at = now() - interval '1 second' WHERE id = $1`,
      [u.id],
    );
    expect((await tryLogin(u.username, setupCode)).status).toBe(401);
    expect((await setPassword(u.username, setupCode, `${GOOD}-spaet`)).status).toBe(401);
  });
});

describe('sessions', () => {
  it('an admin sees a user’s sessions and ends one of them or all', async () => {
    const u = await activeUser('operator');
    const second = await login(stack.url, u.username, u.password);
    const list = await (await admin(`/api/admin/users/${u.id}/sessions`)).json();
    expect(list.sessions).toHaveLength(2);
    expect(JSON.stringify(list)).not.toContain(u.cookie.split('=')[1]);
    const newest = list.sessions[0].ref;
    const one = await admin(`/api/admin/users/${u.id}/sessions/end`, {
      reason: 'Gerät verloren',
      sessionRef: newest,
    });
    expect(await one.json()).toEqual({ ended: 1 });
    expect((await call(second, '/api/me')).status).toBe(401);
    expect((await call(u.cookie, '/api/me')).status).toBe(200);
    const all = await admin(`/api/admin/users/${u.id}/sessions/end`, { reason: 'Gerät verloren' });
    expect(await all.json()).toEqual({ ended: 1 });
    expect((await call(u.cookie, '/api/me')).status).toBe(401);
    expect(await audit('sessions_ended', `user:${u.id}`)).toHaveLength(2);
  });
});

describe('the last enabled admin', () => {
  it('can be neither demoted nor disabled (409), also by two admins at once', async () => {
    const dortmundAdmin = await stack.db.prisma.user.findUniqueOrThrow({
      where: { username: 'dortmund.admin' },
    });
    const self = (path: string, body: unknown) => call(cookies['dortmund.admin'], path, body);
    const demote = await self(`/api/admin/users/${dortmundAdmin.id}/role`, {
      role: 'operator',
      reason: REASON,
    });
    expect(demote.status).toBe(409);
    const disable = await self(`/api/admin/users/${dortmundAdmin.id}/disable`, { reason: REASON });
    expect(disable.status).toBe(409);

    // a second admin; then each demotes the other at the same moment: one admin remains
    const created = await self('/api/admin/users', {
      username: 'dortmund.zweite',
      displayName: 'Zweite Admin',
      role: 'admin',
      reason: REASON,
    });
    const second = await created.json();
    const set = await setPassword('dortmund.zweite', second.setupCode, GOOD);
    const secondCookie = cookieOf(set);
    try {
      const answers = await Promise.all([
        self(`/api/admin/users/${second.user.id}/role`, { role: 'operator', reason: REASON }),
        call(secondCookie, `/api/admin/users/${dortmundAdmin.id}/role`, { role: 'operator', reason: REASON }),
      ]);
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      const { rows } = await stack.db.pool.query(
        `SELECT count(*)::int AS n FROM users u JOIN tenants t ON t.id = u.tenant_id
          WHERE t.slug = 'dortmund' AND u.role = 'admin' AND u.disabled_at IS NULL`,
      );
      expect(rows[0].n).toBe(1);
    } finally {
      await stack.db.pool.query(`UPDATE users SET role = 'admin' WHERE username = 'dortmund.admin'`);
      cookies['dortmund.admin'] = await login(stack.url, 'dortmund.admin', DEMO_PASSWORD);
    }
  });
});

describe('tenants and roles', () => {
  it('answers another tenant’s user ids exactly like unknown ones (404) and audits the probe', async () => {
    const other = await stack.db.prisma.user.findUniqueOrThrow({ where: { username: 'dortmund.operator' } });
    const unknown = '00000000-0000-4000-8000-00000000abcd';
    const routes: Array<[string, unknown]> = [
      ['role', { role: 'evaluator', reason: REASON }],
      ['disable', { reason: REASON }],
      ['enable', { reason: REASON }],
      ['password-reset', { reason: REASON }],
      ['sessions', undefined],
      ['sessions/end', { reason: REASON }],
    ];
    for (const [path, body] of routes) {
      const foreign = await admin(`/api/admin/users/${other.id}/${path}`, body);
      const none = await admin(`/api/admin/users/${unknown}/${path}`, body);
      expect(foreign.status, path).toBe(404);
      expect(await foreign.text(), path).toBe((await none.text()).replace(unknown, other.id));
    }
    const after = await stack.db.prisma.user.findUniqueOrThrow({ where: { id: other.id } });
    expect(after).toMatchObject({ role: 'operator', disabledAt: null, mustChangePassword: false });
    expect(await audit('cross_tenant_refused', `user:${other.id}`)).toHaveLength(routes.length);
    const list = await (await admin('/api/admin/users')).json();
    expect(list.users.map((u: { username: string }) => u.username)).not.toContain('dortmund.operator');
  });

  it('refuses every role but admin (403)', async () => {
    const target = await stack.db.prisma.user.findUniqueOrThrow({ where: { username: 'duisburg.operator' } });
    for (const who of ['duisburg.supervisor', 'duisburg.operator', 'duisburg.evaluator']) {
      expect((await call(cookies[who], '/api/admin/users')).status, who).toBe(403);
      const create = await call(cookies[who], '/api/admin/users', {
        username: 'duisburg.heimlich',
        displayName: 'Heimlich',
        role: 'admin',
        reason: REASON,
      });
      expect(create.status, who).toBe(403);
      const promote = await call(cookies[who], `/api/admin/users/${target.id}/role`, {
        role: 'admin',
        reason: REASON,
      });
      expect(promote.status, who).toBe(403);
    }
    expect(await stack.db.prisma.user.findUnique({ where: { username: 'duisburg.heimlich' } })).toBeNull();
  });
});
