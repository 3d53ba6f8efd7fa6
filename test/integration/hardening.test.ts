/**
 * Issue 11 (hardening), the gateway's core: one regression test per reproduction that lives in the
 * gateway's frame (crash by handshake, the SFU proxy, revocations, sessions that end without a
 * request, origin checks, security headers, production mode). Real PostgreSQL, Redis and gateway
 * processes; the SFU side of revocation has its own suite (sfu-hardening.test.ts).
 */
import { type IncomingHttpHeaders, request } from 'node:http';
import { GATEWAY_ENTRY } from '@lagebild/infra/paths';
import { spawnService } from '@lagebild/infra/process';
import { endedSessionKey, REVOCATION_CHANNEL, Revocation, revokedDeviceKey } from '@lagebild/protocol';
import { verifyViewerToken } from '@lagebild/tokens';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectOperator, login, waitFor } from '../src/clients.ts';
import { productionRefusal } from '../src/production-refusal.ts';
import { DEMO_PASSWORD, type Stack, startStack, TEST_MEDIA_SECRET } from '../src/stack.ts';

let stack: Stack;
let sub: Redis;
let kv: Redis;
const revocations: Revocation[] = [];

beforeAll(async () => {
  stack = await startStack({
    devicesPerTenant: 3,
    serveWeb: true,
    gatewayEnv: { MEDIA_TOKEN_SECRET: TEST_MEDIA_SECRET, SESSION_SWEEP_MS: '300' },
  });
  kv = new Redis(stack.redis.url);
  sub = new Redis(stack.redis.url);
  sub.on('message', (_c, raw) => revocations.push(Revocation.parse(JSON.parse(raw))));
  await sub.subscribe(REVOCATION_CHANNEL);
});

afterAll(async () => {
  sub?.disconnect();
  kv?.disconnect();
  await stack?.stop();
});

const alive = async () => {
  expect(stack.gateways[0]!.child.exitCode).toBeNull();
  expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
};

/** GET with the path and headers exactly as given (no dot-segment resolution, no added headers) */
const rawGet = (path: string, headers: Record<string, string> = {}) =>
  new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
    const u = new URL(stack.url);
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET', headers }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('error', reject);
    req.end();
  });
const rawStatus = async (path: string, cookie?: string) =>
  (await rawGet(path, cookie ? { cookie } : {})).status;

const polling = (q = '') => `${stack.url}/socket.io/?EIO=4&transport=polling${q}`;

describe('issue 11: no request takes the gateway down', () => {
  it('a /control handshake with Origin: null (or any unparseable origin) is refused, the process serves on', async () => {
    for (const origin of ['null', 'not a url', 'http://[::1', 'file:///etc/passwd']) {
      const open = await fetch(polling(), { headers: { origin } });
      expect(open.status).toBe(200);
      const sid = /"sid":"([^"]+)"/.exec(await open.text())?.[1];
      expect(sid).toBeTruthy();
      const post = await fetch(polling(`&sid=${sid}`), {
        method: 'POST',
        headers: { origin, 'content-type': 'text/plain;charset=UTF-8' },
        body: '40/control,',
      });
      expect(post.status).toBe(200);
      const answer = await (await fetch(polling(`&sid=${sid}`), { headers: { origin } })).text();
      expect(answer).toContain('44/control,');
      expect(answer).toContain('"code":"forbidden"');
      await alive();
    }
  });
});

describe('issue 11: the SFU proxy forwards only documented routes, only for a session', () => {
  const traversal = ['/sfu/v1/%2e%2e/%2e%2e/internal/stats', '/sfu/v1/..%2f..%2finternal%2fstats'];

  it('refuses a traversal without a session with 401, before anything reaches the SFU', async () => {
    // fetch() would resolve the dots itself; an attacker's client sends them as they are
    for (const path of traversal) expect(await rawStatus(path)).toBe(401);
  });

  it('answers a traversal or an undocumented path with a session 404', async () => {
    const cookie = await login(stack.url, 'duisburg.operator', DEMO_PASSWORD);
    for (const path of [...traversal, '/sfu/v1/internal/stats', '/sfu/v1/sessions/x/../../internal/stats'])
      expect(await rawStatus(path, cookie), path).toBe(404);
    const evaluator = await login(stack.url, 'duisburg.evaluator', DEMO_PASSWORD);
    expect(
      (await fetch(`${stack.url}/sfu/v1/sessions`, { method: 'POST', headers: { cookie: evaluator } }))
        .status,
    ).toBe(403);
  });
});

describe('issue 11: revocation and logout reach the SFU at once', () => {
  it('revoking a device sets the revocation key and announces it; its token is refused from then on', async () => {
    const du = stack.tenants[0]!;
    const device = du.devices[2]!;
    const admin = await login(stack.url, 'duisburg.admin', DEMO_PASSWORD);
    const before = Date.now();
    const res = await fetch(`${stack.url}/api/devices/${device.deviceId}/revoke`, {
      method: 'POST',
      headers: { cookie: admin },
    });
    expect(res.status).toBe(200);
    await waitFor(
      () => revocations.some((r) => r.type === 'device_revoked' && r.deviceId === device.deviceId),
      3000,
      'device_revoked',
    );
    const at = Number(await kv.get(revokedDeviceKey(device.deviceId)));
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    // the change and its audit entry are one transaction: the entry exists when the answer came
    const { rows } = await stack.db.pool.query(
      `SELECT 1 FROM audit_log WHERE action = 'device_revoked' AND target = $1`,
      [`device:${device.deviceId}`],
    );
    expect(rows).toHaveLength(1);
  });

  it('a viewer token names its session; logout ends that session on the SFU (key + message)', async () => {
    const du = stack.tenants[0]!;
    const cookie = await login(stack.url, 'duisburg.supervisor', DEMO_PASSWORD);
    const res = await fetch(`${stack.url}/api/video/viewer-token`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId: du.devices[0]!.deviceId, reason: { kind: 'situation_assessment' } }),
    });
    expect(res.status).toBe(200);
    const claims = verifyViewerToken([TEST_MEDIA_SECRET], ((await res.json()) as { token: string }).token);
    expect(claims.sid).toMatch(/^[0-9a-f]{32}$/);
    expect(claims.sexp).toBeGreaterThan(Date.now());
    expect(claims.exp).toBeLessThanOrEqual(claims.sexp);
    expect(
      (await fetch(`${stack.url}/api/auth/logout`, { method: 'POST', headers: { cookie } })).status,
    ).toBe(204);
    await waitFor(
      () =>
        revocations.some((r) => r.type === 'session_ended' && r.sid === claims.sid && r.reason === 'logout'),
      3000,
      'session_ended',
    );
    expect(await kv.get(endedSessionKey(claims.sid))).not.toBeNull();
  });

  it('a viewer token whose reason names another tenant’s incident is refused like an unknown one', async () => {
    const [du, dort] = stack.tenants as [Stack['tenants'][number], Stack['tenants'][number]];
    const { rows } = await stack.db.pool.query<{ id: string }>(
      `INSERT INTO incidents (tenant_id, number, kind, priority, lat, lng)
       VALUES ($1, 'T-11-1', 'manual', 2, 51.5, 7.4) RETURNING id`,
      [dort.id],
    );
    const cookie = await login(stack.url, 'duisburg.operator', DEMO_PASSWORD);
    const ask = (incidentId: string) =>
      fetch(`${stack.url}/api/video/viewer-token`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: JSON.stringify({ deviceId: du.devices[0]!.deviceId, reason: { kind: 'incident', incidentId } }),
      });
    const foreign = await ask(rows[0]!.id);
    const unknown = await ask('00000000-0000-4000-8000-00000000abcd');
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
  });
});

describe('issue 11: sessions that end without a request end their sockets', () => {
  it('an expired session’s /control socket is closed with the reason', async () => {
    const cookie = await login(stack.url, 'duisburg.operator', DEMO_PASSWORD);
    const op = await connectOperator(stack.url, cookie);
    await stack.db.pool.query(
      `UPDATE sessions SET expires_at = now() WHERE user_id = (SELECT id FROM users WHERE username = 'duisburg.operator')`,
    );
    await op.waitFor(() => op.events.some((e) => e.event === 'bye'), 5000, 'bye');
    expect(op.events.find((e) => e.event === 'bye')!.msg).toMatchObject({ code: 'unauthenticated' });
    await waitFor(() => !op.socket.connected || op.socket.disconnected, 3000, 'disconnect');
    op.close();
    await waitFor(
      () => revocations.some((r) => r.type === 'session_ended' && r.reason === 'expired'),
      3000,
      'expired',
    );
  });

  it('disabling a user ends its sessions: sockets closed, SFU told, the cookie no longer works', async () => {
    const cookie = await login(stack.url, 'dortmund.operator', DEMO_PASSWORD);
    const op = await connectOperator(stack.url, cookie);
    await stack.db.pool.query(`UPDATE users SET disabled_at = now() WHERE username = 'dortmund.operator'`);
    try {
      await op.waitFor(() => op.events.some((e) => e.event === 'bye'), 5000, 'bye');
      await waitFor(
        () => revocations.some((r) => r.type === 'session_ended' && r.reason === 'user_disabled'),
        3000,
        'user_disabled',
      );
      expect((await fetch(`${stack.url}/api/me`, { headers: { cookie } })).status).toBe(401);
    } finally {
      op.close();
      await stack.db.pool.query(`UPDATE users SET disabled_at = NULL WHERE username = 'dortmund.operator'`);
    }
  });
});

describe('issue 11: browsers are held to our origin and to what the page ships', () => {
  it('refuses a state-changing request from a foreign or null origin; same origin and no origin pass', async () => {
    const body = JSON.stringify({ username: 'duisburg.operator', password: DEMO_PASSWORD });
    const post = (origin?: string) =>
      fetch(`${stack.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
        body,
      });
    expect((await post('http://evil.example')).status).toBe(403);
    expect((await post('null')).status).toBe(403);
    expect((await post(new URL(stack.url).origin)).status).toBe(200);
    expect((await post()).status).toBe(200);
  });

  it('every page’s CSP allows exactly its own inline scripts, never unsafe-inline for scripts', async () => {
    for (const path of ['/', '/login/', '/recordings/', '/does-not-exist']) {
      const res = await fetch(`${stack.url}${path}`);
      const html = await res.text();
      const csp = res.headers.get('content-security-policy')!;
      const scriptSrc = csp.split(';').find((d) => d.trim().startsWith('script-src'))!;
      expect(scriptSrc).not.toContain('unsafe-inline');
      const inline = [...html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)].filter(
        (m) => !/\ssrc=/.test(m[1] ?? ''),
      );
      expect(inline.length, path).toBeGreaterThan(0);
      for (const m of inline) {
        const { createHash } = await import('node:crypto');
        const h = `'sha256-${createHash('sha256').update(m[2]!).digest('base64')}'`;
        expect(scriptSrc, path).toContain(h);
      }
      expect(res.headers.get('permissions-policy')).toContain('camera=()');
    }
    // a revalidated page (304, no body, no content type) keeps its own CSP: the browser stores the
    // 304's headers with the cached page, and a script-less CSP there stopped the login page's React
    const first = await fetch(`${stack.url}/login/`);
    const etag = first.headers.get('etag')!;
    expect(etag).toBeTruthy();
    // node:http, not fetch: fetch adds `Cache-Control: no-cache` to a conditional request
    const again = await rawGet('/login/', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.headers['content-security-policy']).toBe(first.headers.get('content-security-policy'));
    // no TLS in front here: no HSTS (it goes with COOKIE_SECURE)
    expect((await fetch(`${stack.url}/healthz`)).headers.get('strict-transport-security')).toBeNull();
  });
});

describe('issue 11: production mode refuses what only a demo may have', () => {
  it('stops with a message naming each problem, before it listens', async () => {
    const start = spawnService({
      name: 'gateway-production',
      entry: GATEWAY_ENTRY,
      env: {
        HOST: '127.0.0.1',
        PORT: '0',
        DATABASE_URL: stack.pg.url,
        REDIS_URL: stack.redis.url,
        LAGEBILD_ENV: 'production',
        LOG_LEVEL: 'warn',
      },
      readyTimeoutMs: 20_000,
    });
    const err = await start.then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/code 2|with 2/);
    for (const name of [
      'COOKIE_SECURE',
      'TRUST_PROXY',
      'HSM_TOKEN_LABEL',
      'DATABASE_URL',
      'TSA_URL',
      'AUDIT_ANCHOR_DIR',
    ])
      expect(err?.message).toContain(name);
  });

  it('with a clean configuration, still refuses a superuser connection, then the demo users', async () => {
    await stack.db.pool.query(`CREATE ROLE lb_su LOGIN SUPERUSER PASSWORD 'su-secret-1'`);
    await stack.db.pool.query(`CREATE ROLE lb_app LOGIN PASSWORD 'app-secret-1'`);
    await stack.db.pool.query('GRANT SELECT ON users TO lb_app');
    const as = (user: string, password: string) =>
      stack.pg.url.replace(/\/\/[^@]+@/, `//${user}:${password}@`);
    const refusal = (databaseUrl: string) => productionRefusal(stack, databaseUrl);
    expect(await refusal(as('lb_su', 'su-secret-1'))).toMatch(/superuser/);
    const demo = await refusal(as('lb_app', 'app-secret-1'));
    expect(demo).toMatch(/demo users exist/);
    expect(demo).toContain('duisburg.admin');
  });
});
