/**
 * Issue 11, the gateway's part: regression tests for login throttling, four-eyes release, cross-tenant
 * ids answered like unknown ones, LIKE wildcards in audit filters, rate buckets across reconnects,
 * per-tenant fairness of the persist queue and the § 76 BDSG entries of incidents and unit history.
 * One gateway with real PostgreSQL and Redis. Login tests send from their own loopback addresses
 * (127.0.0.x), so each is a different client address to the gateway and the limits of one test do
 * not spill into another.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditTarget } from '@lagebild/audit';
import { createAuditLog } from '@lagebild/gateway/recordings';
import { ensureSigningKeyFile } from '@lagebild/vault';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, login, status, type TestDevice, waitFor } from '../src/clients.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';

let stack: Stack;
let dir: string;
let duisburg: Stack['tenants'][number];
let dortmund: Stack['tenants'][number];
const cookies: Record<string, string> = {};
const PERSIST_QUEUE_MAX = 100;
const RATE_BURST = 20;
const UNKNOWN_WINDOW_S = 3;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lagebild-hardening-'));
  stack = await startStack({
    devicesPerTenant: 4,
    gatewayEnv: {
      PERSIST_QUEUE_MAX: String(PERSIST_QUEUE_MAX),
      DEVICE_RATE_PER_S: '1',
      DEVICE_RATE_BURST: String(RATE_BURST),
      LOGIN_UNKNOWN_WINDOW_S: String(UNKNOWN_WINDOW_S),
    },
  });
  [duisburg, dortmund] = stack.tenants as [typeof duisburg, typeof dortmund];
  // every session the tests need, before any test makes an account wait
  for (const u of ['duisburg.admin', 'duisburg.supervisor', 'duisburg.operator', 'dortmund.operator'])
    cookies[u] = await login(stack.url, u, DEMO_PASSWORD);
});

afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

/** POST /api/auth/login from a given loopback address (the client address the gateway sees). */
function loginFrom(from: string, username: string, password: string): Promise<Answer> {
  const url = new URL('/api/auth/login', stack.url);
  const payload = JSON.stringify({ username, password });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress: from,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const statuses = (answers: Answer[]) => answers.map((a) => a.status);
const count = (answers: Answer[], code: number) => answers.filter((a) => a.status === code).length;

function api(cookie: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${stack.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function auditRows(where: string, args: unknown[]) {
  const { rows } = await stack.db.pool.query(
    `SELECT seq, actor, action, target, reason, payload FROM audit_log WHERE ${where} ORDER BY seq`,
    args,
  );
  return rows as Array<{
    actor: string | null;
    action: string;
    target: string | null;
    reason: string | null;
    payload: Record<string, unknown> | null;
  }>;
}

describe('login throttling (issue 11)', () => {
  it('issue 11: parallel wrong-password guesses never get past the limit', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => loginFrom('127.0.0.2', 'dortmund.evaluator', 'guess-wrong')),
    );
    // five guesses are tried, every other one is refused before the password is looked at
    expect(count(answers, 401)).toBe(5);
    expect(count(answers, 429)).toBe(35);
    expect(statuses(answers).every((s) => s === 401 || s === 429)).toBe(true);
    for (const a of answers.filter((x) => x.status === 429)) {
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(a.body).error.code).toBe('rate_limited');
    }
    const failed = await auditRows(`action = 'login_failed' AND actor = 'dortmund.evaluator'`, []);
    expect(failed.length).toBe(5);
  });

  it('issue 11: a stranger’s failures do not stop the owner from logging in after the delay', async () => {
    const stranger: Answer[] = [];
    for (let i = 0; i < 12; i++)
      stranger.push(await loginFrom('127.0.0.3', 'duisburg.supervisor', `nope-${i}`));
    expect(count(stranger, 401)).toBe(5);
    expect(count(stranger, 429)).toBe(7);
    // the owner, at another address, waits out the account's delay (seconds, never a 15-minute lock)
    let owner = await loginFrom('127.0.0.4', 'duisburg.supervisor', DEMO_PASSWORD);
    if (owner.status === 429) {
      const waitS = Number(owner.retryAfter);
      expect(waitS).toBeGreaterThanOrEqual(1);
      expect(waitS).toBeLessThanOrEqual(60);
      await new Promise((r) => setTimeout(r, waitS * 1000 + 50));
      owner = await loginFrom('127.0.0.4', 'duisburg.supervisor', DEMO_PASSWORD);
    }
    expect(owner.status).toBe(200);
  }, 90_000);

  it('issue 11: spraying one password over many usernames from one address is throttled', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 40; i++) answers.push(await loginFrom('127.0.0.5', `spray.user${i}`, 'Sommer2026!'));
    // each username is new, so only the address budget can stop it: 20 tries, then the delay
    expect(count(answers, 401)).toBe(20);
    expect(count(answers, 429)).toBe(20);
    // another address is not affected
    expect((await loginFrom('127.0.0.7', 'spray.user0', 'Sommer2026!')).status).toBe(401);
  });

  it('[AUD10] issue 11: 50 failed logins of random usernames make two audit entries, the second with the count', async () => {
    const ofAddress = () => auditRows(`payload->>'ip' = '127.0.0.6'`, []);
    expect(await ofAddress()).toEqual([]);
    const answers: Answer[] = [];
    for (let i = 0; i < 50; i++) answers.push(await loginFrom('127.0.0.6', `ghost-${randomUUID()}`, 'x'));
    expect(statuses(answers).every((s) => s === 401 || s === 429)).toBe(true);
    const tried = count(answers, 401);
    expect(tried).toBe(20); // the address budget (see the spraying test); the rest were not tried
    // the window's first failure at once, the count when the window closes
    const opened = await ofAddress();
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({
      action: 'login_failures',
      actor: null,
      payload: { count: 1, phase: 'opened' },
    });
    for (const deadline = Date.now() + UNKNOWN_WINDOW_S * 1000 + 5000; Date.now() < deadline; ) {
      if ((await ofAddress()).length > 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const entries = await ofAddress();
    expect(entries).toHaveLength(2);
    expect(entries[1]).toMatchObject({
      action: 'login_failures',
      payload: { count: tried, phase: 'closed' },
    });
    // the text typed as username (sometimes a password) is not kept
    expect(JSON.stringify(entries)).not.toContain('ghost-');
  }, 30_000);
});

describe('four-eyes release (issue 11)', () => {
  async function heldRecording(): Promise<string> {
    const id = randomUUID();
    const device = duisburg.devices[0]!;
    await stack.db.pool.query(
      `INSERT INTO recordings (id, tenant_id, device_id, started_at, stopped_at, state, retention,
                               retention_reason, case_reference, delete_at)
       VALUES ($1, $2, $3, now() - interval '30 days', now() - interval '30 days', 'complete', 'evidence',
               'Körperverletzung', 'Az. 11/26', NULL)`,
      [id, duisburg.id, device.deviceId],
    );
    return id;
  }
  const retentionOf = async (id: string) =>
    (await stack.db.pool.query('SELECT retention, delete_at FROM recordings WHERE id = $1', [id]))
      .rows[0] as {
      retention: string;
      delete_at: Date | null;
    };

  it('[FE1][FE2][FE3][FE4][FE7][FE9] issue 11: one supervisor cannot release evidence, two can', async () => {
    const id = await heldRecording();
    const sup = cookies['duisburg.supervisor']!;
    const asked = await api(sup, `/api/recordings/${id}/release`, { reason: 'Verfahren eingestellt' });
    expect(asked.status).toBe(202);
    const { id: approval } = (await asked.json()) as { id: string };
    // asking changes nothing; the asker cannot consent to their own request
    expect(await retentionOf(id)).toEqual({ retention: 'evidence', delete_at: null });
    const self = await api(sup, `/api/recording-approvals/${approval}/decision`, {
      approve: true,
      reason: 'selbst bestätigt',
    });
    expect(self.status).toBe(403);
    expect((await retentionOf(id)).retention).toBe('evidence');
    // the same request twice is one request
    expect(
      (await api(sup, `/api/recordings/${id}/approvals`, { action: 'release', reason: 'noch einmal' }))
        .status,
    ).toBe(409);
    // operators cannot ask for a release
    expect(
      (
        await api(cookies['duisburg.operator']!, `/api/recordings/${id}/approvals`, {
          action: 'release',
          reason: 'bitte freigeben',
        })
      ).status,
    ).toBe(403);
    // a second superior consents: back to the standard period, not sooner than a day from now
    const consent = await api(cookies['duisburg.admin']!, `/api/recording-approvals/${approval}/decision`, {
      approve: true,
      reason: 'Einstellung geprüft',
    });
    expect(consent.status).toBe(200);
    const after = await retentionOf(id);
    expect(after.retention).toBe('standard');
    expect(after.delete_at!.getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    const trail = await auditRows('target = $1', [`recording:${id}`]);
    expect(trail.map((e) => [e.action, e.actor])).toEqual([
      ['four_eyes_requested', 'duisburg.supervisor'],
      ['four_eyes_decided', 'duisburg.admin'],
      ['evidence_released', 'duisburg.admin'],
    ]);
    expect(trail[2]!.payload).toMatchObject({ approvalId: approval, previous: 'evidence' });
  });

  it('[FE3][FE7] issue 11: a rejected release leaves the recording held', async () => {
    const id = await heldRecording();
    const asked = await api(cookies['duisburg.admin']!, `/api/recordings/${id}/release`, {
      reason: 'nicht mehr benötigt',
    });
    const { id: approval } = (await asked.json()) as { id: string };
    // the supervisor is below the asking admin's rank
    const lower = await api(
      cookies['duisburg.supervisor']!,
      `/api/recording-approvals/${approval}/decision`,
      {
        approve: true,
        reason: 'einverstanden',
      },
    );
    expect(lower.status).toBe(403);
    expect((await retentionOf(id)).retention).toBe('evidence');
  });
});

describe('cross-tenant ids (issue 11)', () => {
  it('[AUD9] issue 11: a cross-tenant id and an unknown id answer the same 404 body, and the refusal is audited', async () => {
    const du = cookies['duisburg.operator']!;
    const { units } = (await (await api(cookies['dortmund.operator']!, '/api/units')).json()) as {
      units: { id: string }[];
    };
    const foreignUnit = units[0]!.id;
    const foreign = await api(du, `/api/units/${foreignUnit}`);
    const unknown = await api(du, `/api/units/${randomUUID()}`);
    expect([foreign.status, unknown.status]).toEqual([404, 404]);
    expect(await foreign.text()).toBe(await unknown.text());
    // the same for an incident of the other tenant
    const opened = await api(cookies['dortmund.operator']!, '/api/incidents', {
      location: { lat: 51.51, lng: 7.46 },
      priority: 3,
      summary: 'Ruhestörung',
    });
    const { incident } = (await opened.json()) as { incident: { id: string } };
    const a = await api(du, `/api/incidents/${incident.id}`);
    const b = await api(du, `/api/incidents/${randomUUID()}`);
    expect([a.status, b.status]).toEqual([404, 404]);
    expect(await a.text()).toBe(await b.text());
    // still counted as a refusal in the prober's own tenant (`record` appends asynchronously)
    const refused = () =>
      auditRows(`action = 'cross_tenant_refused' AND target = $1 AND tenant_id = $2`, [
        `unit:${foreignUnit}`,
        duisburg.id,
      ]);
    for (const deadline = Date.now() + 5000; (await refused()).length === 0 && Date.now() < deadline; )
      await new Promise((r) => setTimeout(r, 50));
    expect((await refused()).map((e) => e.actor)).toEqual(['duisburg.operator']);
  });
});

describe('audit filters (issue 11)', () => {
  it('[AUD11] issue 11: % and _ in an audit filter match themselves, not anything', async () => {
    const signer = await ensureSigningKeyFile(join(dir, 'signing.pem'));
    const audit = createAuditLog({ pool: stack.db.pool, signer, log: pino({ level: 'silent' }) });
    const tag = randomUUID().slice(0, 8);
    // typed targets (issue 12): the kinds are real ones, the ids carry the wildcards
    const entry = (target: AuditTarget) => ({
      tenantId: duisburg.id,
      actor: 'system:test',
      action: 'policy_changed' as const,
      target,
    });
    await audit.append(entry(`tenant:${tag}:100%`));
    await audit.append(entry(`tenant:${tag}:1000`));
    await audit.append(entry(`unit:${tag}:a_b`));
    await audit.append(entry(`unit:${tag}:axb`));
    await audit.append(entry(`incident:${tag}:c\\d`));
    const targets = async (filter: string) => {
      const r = await api(cookies['duisburg.admin']!, `/api/audit?target=${encodeURIComponent(filter)}`);
      expect(r.status).toBe(200);
      const { entries } = (await r.json()) as { entries: { target: string }[] };
      return entries.map((e) => e.target).sort();
    };
    expect(await targets(`${tag}:100%`)).toEqual([`tenant:${tag}:100%`]);
    expect(await targets(`${tag}:a_b`)).toEqual([`unit:${tag}:a_b`]);
    expect(await targets(`${tag}:c\\d`)).toEqual([`incident:${tag}:c\\d`]);
    expect(await targets('%')).toContain(`tenant:${tag}:100%`);
    expect(await targets('%')).not.toContain(`tenant:${tag}:1000`);
  });
});

describe('device rate limit (issue 11)', () => {
  it('[ACK8] issue 11: reconnecting does not refill the rate bucket', async () => {
    const dev = dortmund.devices[0]!;
    let device: TestDevice = await connectDevice(stack.url, dev);
    const burst = await Promise.all(
      Array.from({ length: RATE_BURST + 5 }, (_, i) => device.send(status(i + 1), 15_000)),
    );
    expect(burst.filter((a) => !a.ok && a.code === 'rate_limited').length).toBeGreaterThanOrEqual(4);
    device.close();
    device = await connectDevice(stack.url, dev);
    // at 1 event/s, the second or so since the burst has bought one token at most
    const again = await Promise.all(
      Array.from({ length: 4 }, (_, i) => device.send(status(RATE_BURST + 10 + i), 15_000)),
    );
    expect(again.filter((a) => !a.ok && a.code === 'rate_limited').length).toBeGreaterThanOrEqual(2);
    device.close();
  });
});

describe('persist queue fairness (issue 11)', () => {
  it('[ACK12] issue 11: tenant A’s flood beyond its share is refused while tenant B’s events are still acknowledged', async () => {
    // PostgreSQL stalls: the test holds a lock that blocks every insert of status events
    const lock = await stack.db.pool.connect();
    const devicesA = await Promise.all(duisburg.devices.map((d) => connectDevice(stack.url, d)));
    const deviceB = await connectDevice(stack.url, dortmund.devices[1]!);
    try {
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE status_events IN EXCLUSIVE MODE');
      let refusedA = 0;
      const acksA = devicesA.flatMap((d) =>
        Array.from({ length: RATE_BURST }, (_, i) =>
          d.send(status(1000 + i), 30_000).then((a) => {
            if (!a.ok) refusedA++;
            return a;
          }),
        ),
      );
      // alone, a tenant may fill half the queue; the rest of its 80 events are refused at once
      const floodA = devicesA.length * RATE_BURST;
      const shareA = PERSIST_QUEUE_MAX / 2;
      await waitFor(() => refusedA === floodA - shareA, 10_000, 'A refused beyond its share');
      const acksB = Array.from({ length: 5 }, (_, i) => deviceB.send(status(2000 + i), 30_000));
      const queued = async () =>
        (
          (await (await api(cookies['duisburg.admin']!, '/api/metrics')).json()) as {
            persistQueue: number;
          }
        ).persistQueue;
      for (const deadline = Date.now() + 10_000; (await queued()) < shareA + 5 && Date.now() < deadline; )
        await new Promise((r) => setTimeout(r, 20));
      expect(await queued()).toBe(shareA + 5);
      await lock.query('COMMIT');
      const b = await Promise.all(acksB);
      expect(b.every((a) => a.ok)).toBe(true);
      const a = await Promise.all(acksA);
      expect(a.filter((x) => x.ok).length).toBe(shareA);
      const refused = a.filter((x) => !x.ok);
      expect(refused.every((x) => !x.ok && x.code === 'unavailable' && x.retry)).toBe(true);
      // acknowledged means stored
      const { rows } = await stack.db.pool.query(
        'SELECT count(*)::int AS n FROM status_events WHERE device_id = $1 AND seq >= 2000',
        [dortmund.devices[1]!.deviceId],
      );
      expect(rows[0].n).toBe(5);
    } finally {
      await lock.query('ROLLBACK').catch(() => {});
      lock.release();
      for (const d of devicesA) d.close();
      deviceB.close();
    }
  }, 60_000);
});

describe('§ 76 BDSG entries (issue 11)', () => {
  it('[AUD2][AUD8] issue 11: an incident note, a priority change and a stage-history read each write an audit entry', async () => {
    const sup = cookies['duisburg.supervisor']!;
    const opened = await api(sup, '/api/incidents', {
      location: { lat: 51.43, lng: 6.76 },
      priority: 3,
      summary: 'Streit vor Gaststätte',
    });
    expect(opened.status).toBe(201);
    const { incident } = (await opened.json()) as { incident: { id: string } };
    expect((await api(sup, `/api/incidents/${incident.id}/notes`, { text: 'Zeugin vor Ort' })).status).toBe(
      201,
    );
    expect((await api(sup, `/api/incidents/${incident.id}/priority`, { priority: 1 })).status).toBe(200);
    const { units } = (await (await api(sup, '/api/units')).json()) as { units: { id: string }[] };
    const unitId = units[0]!.id;
    expect((await api(sup, `/api/units/${unitId}`)).status).toBe(200);

    const ofIncident = await auditRows('target = $1', [`incident:${incident.id}`]);
    expect(ofIncident.map((e) => [e.action, e.actor])).toEqual([
      ['incident_opened', 'duisburg.supervisor'],
      ['incident_note', 'duisburg.supervisor'],
      ['incident_priority_changed', 'duisburg.supervisor'],
    ]);
    expect(ofIncident[2]!.payload).toEqual({ from: 3, to: 1 });
    const reads = await auditRows(`action = 'unit_history_read' AND target = $1`, [`unit:${unitId}`]);
    expect(reads.map((e) => e.actor)).toEqual(['duisburg.supervisor']);
  });
});
