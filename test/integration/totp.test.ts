/**
 * Issue 15, "Optional second factor (TOTP, RFC 6238), enforceable per role by tenant policy": a
 * real gateway, PostgreSQL and Redis. A user enrols (the secret is answered once, as text and
 * otpauth:// URI), confirms with a code, and from then on the password alone opens no session: the
 * login answers a ticket, and the code with the ticket signs in (the session records `otp`). A code
 * is accepted once (replay refused), wrong codes count in the login throttle, and the secret is in
 * no other answer. A tenant that requires a second factor for a role sends such users to enrolment
 * at login; an admin resets a lost second factor with a reason (audited, sessions end). The
 * gateway has its keys in a SoftHSM2 token, as in production: secrets are sealed at rest ([SIGN9]).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from '../src/clients.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';
import { type TestVault, testVault } from '../src/test-vault.ts';

let stack: Stack;
let vaultDir: string;
let vault: TestVault;
let adminCookie: string;
const REASON = 'Richtlinie des Ordnungsamts';
const GOOD = 'Fenster-Trockenbau-Mond-7';

beforeAll(async () => {
  vaultDir = await mkdtemp(join(tmpdir(), 'lagebild-totp-'));
  vault = await testVault(vaultDir);
  stack = await startStack({ devicesPerTenant: 1, gatewayEnv: vault.env });
  adminCookie = await login(stack.url, 'duisburg.admin', DEMO_PASSWORD);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  vault?.close();
  if (vaultDir) await rm(vaultDir, { recursive: true, force: true });
});

function call(cookie: string | undefined, path: string, body?: unknown, method = 'POST'): Promise<Response> {
  return fetch(`${stack.url}${path}`, {
    method: body === undefined ? 'GET' : method,
    headers: {
      ...(cookie ? { cookie } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
const cookieOf = (res: Response) => res.headers.get('set-cookie')?.split(';')[0] ?? '';
const code = (secret: string, atMs = Date.now()) =>
  new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: atMs });
/** waits until the next 30 s step has begun (a code of the current step may be spent already) */
async function nextStep(): Promise<void> {
  const step = Math.floor(Date.now() / 30_000);
  while (Math.floor(Date.now() / 30_000) === step) await new Promise((r) => setTimeout(r, 200));
}

let serial = 0;
async function activeUser(role: string) {
  const username = `duisburg.zwei${++serial}`;
  const created = await call(adminCookie, '/api/admin/users', {
    username,
    displayName: `Zweiter Faktor ${serial}`,
    role,
    reason: REASON,
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const { user, setupCode } = await created.json();
  const set = await call(undefined, '/api/auth/password', {
    username,
    password: setupCode,
    newPassword: GOOD,
  });
  expect(set.status, await set.clone().text()).toBe(200);
  return { id: user.id as string, username, cookie: cookieOf(set) };
}

const passwordLogin = (username: string) => call(undefined, '/api/auth/login', { username, password: GOOD });

async function amrOf(cookie: string) {
  const { rows } = await stack.db.pool.query(
    `SELECT amr FROM sessions WHERE token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')`,
    [decodeURIComponent(cookie.split('=')[1]!)],
  );
  return rows[0]?.amr;
}

describe('a user’s own second factor', () => {
  it('[SIGN1][SIGN2] enrols with a confirmed code; then the login needs a code, once per code', async () => {
    const u = await activeUser('operator');
    const enrol = await call(u.cookie, '/api/me/totp/enrol', {});
    expect(enrol.status).toBe(200);
    const { secret, uri } = await enrol.json();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(uri).toContain(`otpauth://totp/`);
    expect(uri).toContain(`secret=${secret}`);
    // a wrong first code does not enable it
    expect((await call(u.cookie, '/api/me/totp/confirm', { code: '000000' })).status).toBe(401);
    expect(await (await call(u.cookie, '/api/me/totp')).json()).toEqual({ enabled: false, required: false });
    const ok = await call(u.cookie, '/api/me/totp/confirm', { code: code(secret) });
    expect(ok.status, await ok.clone().text()).toBe(200);
    const enabled = await stack.db.pool.query(
      `SELECT 1 FROM audit_log WHERE action = 'totp_enabled' AND target = $1`,
      [`user:${u.id}`],
    );
    expect(enabled.rowCount).toBe(1);
    // the secret is in no other answer, not even the admin's list
    expect(await (await call(adminCookie, '/api/admin/users')).text()).not.toContain(secret);
    expect((await call(u.cookie, '/api/me/totp/enrol', {})).status).toBe(409);

    await nextStep();
    const first = await passwordLogin(u.username);
    expect(first.status).toBe(200);
    expect(first.headers.get('set-cookie')).toBeNull();
    const { secondFactorRequired, ticket } = await first.json();
    expect(secondFactorRequired).toBe(true);
    expect((await call(undefined, '/api/auth/totp', { ticket, code: '123456' })).status).toBe(401);
    const now = code(secret);
    const second = await call(undefined, '/api/auth/totp', { ticket, code: now.replace(/(\d{3})/, '$1 ') });
    expect(second.status, await second.clone().text()).toBe(200);
    expect(await amrOf(cookieOf(second))).toEqual(['pwd', 'otp']);
    // the ticket is spent, and the same code does not open a second session (replay)
    expect((await call(undefined, '/api/auth/totp', { ticket, code: now })).status).toBe(401);
    const again = await (await passwordLogin(u.username)).json();
    expect((await call(undefined, '/api/auth/totp', { ticket: again.ticket, code: now })).status).toBe(401);
    // nor does the code of the step before it
    const previous = code(secret, Date.now() - 30_000);
    expect((await call(undefined, '/api/auth/totp', { ticket: again.ticket, code: previous })).status).toBe(
      401,
    );
    // changing the password is no way around the second factor
    const change = await call(undefined, '/api/auth/password', {
      username: u.username,
      password: GOOD,
      newPassword: `${GOOD}-neu`,
    });
    expect(change.status, await change.clone().text()).toBe(200);
    expect(change.headers.get('set-cookie')).toBeNull();
    expect(await change.json()).toEqual({ secondFactorRequired: true, ticket: expect.any(String) });
  }, 90_000); // it waits for the next 30-s TOTP step (up to 30 s) before the login

  it('[SIGN3] wrong codes are throttled like wrong passwords', async () => {
    const u = await activeUser('operator');
    const { secret } = await (await call(u.cookie, '/api/me/totp/enrol', {})).json();
    expect((await call(u.cookie, '/api/me/totp/confirm', { code: code(secret) })).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const { ticket } = await (await passwordLogin(u.username)).json();
      if (!ticket) {
        statuses.push(429);
        break;
      }
      statuses.push((await call(undefined, '/api/auth/totp', { ticket, code: '000000' })).status);
      if (statuses.at(-1) === 429) break;
    }
    expect(statuses).toContain(429);
  });
});

describe('the tenant’s policy and the admin’s reset', () => {
  it('[SIGN4] sends a supervisor without a second factor to enrolment at login; an admin’s reset is audited', async () => {
    const u = await activeUser('supervisor');
    const put = await call(
      adminCookie,
      '/api/admin/sign-in',
      { totpRequiredRoles: ['admin', 'supervisor'], passwordLogin: true, oidc: null, reason: REASON },
      'PUT',
    );
    expect(put.status, await put.clone().text()).toBe(200);
    try {
      const first = await (await passwordLogin(u.username)).json();
      expect(first).toEqual({ totpEnrolmentRequired: true, ticket: expect.any(String) });
      // a login ticket is no second-factor ticket
      expect((await call(undefined, '/api/auth/totp', { ticket: first.ticket, code: '123456' })).status).toBe(
        401,
      );
      const enrol = await call(undefined, '/api/auth/totp/enrol', { ticket: first.ticket });
      expect(enrol.status).toBe(200);
      const { secret } = await enrol.json();
      const done = await call(undefined, '/api/auth/totp/confirm', {
        ticket: first.ticket,
        code: code(secret),
      });
      expect(done.status, await done.clone().text()).toBe(200);
      expect((await done.json()).user.username).toBe(u.username);
      const cookie = cookieOf(done);
      expect(await amrOf(cookie)).toEqual(['pwd', 'otp']);
      // the users page shows who has a second factor (and offers the reset there), never the key
      const listed = async () =>
        (await (await call(adminCookie, '/api/admin/users')).json()).users.find(
          (x: { id: string }) => x.id === u.id,
        );
      const before = await listed();
      expect(before.totpEnabledAt).toBeGreaterThan(Date.now() - 60_000);
      expect(JSON.stringify(before)).not.toContain(secret);

      // lost phone: the admin resets it with a reason; the user's sessions end
      const sup = await login(stack.url, 'duisburg.supervisor', DEMO_PASSWORD).catch(() => null);
      expect(sup).toBeNull(); // the seeded supervisor has no second factor either: enrolment first
      expect((await call(cookie, `/api/admin/users/${u.id}/totp-reset`, { reason: REASON })).status).toBe(
        403,
      );
      const reset = await call(adminCookie, `/api/admin/users/${u.id}/totp-reset`, {
        reason: 'Diensthandy verloren',
      });
      expect(reset.status, await reset.clone().text()).toBe(200);
      expect((await reset.json()).changed).toBe(true);
      expect((await call(cookie, '/api/me')).status).toBe(401);
      expect(await listed()).toMatchObject({ totpEnabledAt: null, activeSessions: 0 });
      const { rows } = await stack.db.pool.query(
        `SELECT reason, payload FROM audit_log WHERE action = 'totp_reset' AND target = $1`,
        [`user:${u.id}`],
      );
      // the session of the first password and the one opened by the enrolment
      expect(rows).toEqual([{ reason: 'Diensthandy verloren', payload: { sessionsEnded: 2 } }]);
      expect((await (await passwordLogin(u.username)).json()).totpEnrolmentRequired).toBe(true);
      // another tenant's admin cannot reset it
      const dortmund = await login(stack.url, 'dortmund.admin', DEMO_PASSWORD);
      expect((await call(dortmund, `/api/admin/users/${u.id}/totp-reset`, { reason: REASON })).status).toBe(
        404,
      );
    } finally {
      const back = await call(
        adminCookie,
        '/api/admin/sign-in',
        { totpRequiredRoles: [], passwordLogin: true, oidc: null, reason: REASON },
        'PUT',
      );
      expect(back.status).toBe(200);
    }
  });
});

describe('TOTP secrets at rest', () => {
  const stored = async (id: string) =>
    (
      await stack.db.pool.query<{ totp_secret: string | null; totp_pending_secret: string | null }>(
        'SELECT totp_secret, totp_pending_secret FROM users WHERE id = $1',
        [id],
      )
    ).rows[0]!;
  async function enrolled(role: string) {
    const u = await activeUser(role);
    const { secret } = await (await call(u.cookie, '/api/me/totp/enrol', {})).json();
    expect((await stored(u.id)).totp_pending_secret).toMatch(/^lagebild-totp\/1:secrets:/);
    const ok = await call(u.cookie, '/api/me/totp/confirm', { code: code(secret) });
    expect(ok.status, await ok.clone().text()).toBe(200);
    return { ...u, secret: secret as string };
  }
  const secondStep = async (username: string, c: string) => {
    const { ticket } = await (await passwordLogin(username)).json();
    return call(undefined, '/api/auth/totp', { ticket, code: c });
  };

  it('[SIGN9] are sealed in the gateway’s token: not in the database, not movable to another user, sealed at start when stored before', async () => {
    const a = await enrolled('operator');
    const b = await enrolled('operator');
    const sa = await stored(a.id);
    expect(sa.totp_secret).toMatch(/^lagebild-totp\/1:secrets:/);
    expect(sa.totp_pending_secret).toBeNull();
    // no column of the row, nor anything else in the database dump's users table, holds the secret
    const dump = await stack.db.pool.query('SELECT row_to_json(u)::text AS j FROM users u');
    expect(dump.rows.some((r) => (r.j as string).includes(a.secret))).toBe(false);

    // A's sealed secret copied onto B's row (someone with database access): B's login fails with A's code
    await stack.db.pool.query('UPDATE users SET totp_secret = $2 WHERE id = $1', [b.id, sa.totp_secret]);
    await nextStep();
    const moved = await secondStep(b.username, code(a.secret));
    expect(moved.status).toBe(401); // the seal names another user: it does not open, no code matches
    // and a code of A's still works for A
    expect((await secondStep(a.username, code(a.secret))).status).toBe(200);

    // a secret stored before sealing existed (as plaintext) is sealed when the gateway starts
    const c = await enrolled('supervisor');
    await stack.db.pool.query('UPDATE users SET totp_secret = $2 WHERE id = $1', [c.id, c.secret]);
    await stack.gateways[0]!.stop();
    stack.gateways.shift();
    const gw = await stack.startGateway();
    expect((await stored(c.id)).totp_secret).toMatch(/^lagebild-totp\/1:secrets:/);
    await nextStep();
    const { ticket } = await (
      await fetch(`${gw.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: c.username, password: GOOD }),
      })
    ).json();
    const signed = await fetch(`${gw.url}/api/auth/totp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticket, code: code(c.secret) }),
    });
    expect(signed.status, await signed.clone().text()).toBe(200);
  }, 120_000); // it waits for the next 30-s TOTP step twice
});
