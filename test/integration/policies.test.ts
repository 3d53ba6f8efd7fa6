/**
 * Per-tenant policies on the administration screen's API (GET/PUT /api/admin/policies) against real
 * PostgreSQL, Redis and two gateway processes: admins only and own tenant; the bounds (retention at
 * most 14 days by law) refused with a message naming the field; each change audited with old and
 * new values and the reason; a shorter retention period moves existing standard recordings' deletion
 * time (not evidence, not an approved extension) and the sweeper then deletes what is due; a changed
 * auto-incident policy reaches the other gateway at once; migration 0008 clamps an older, longer period.
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoints, readAuditLog, verifyAuditChain } from '@lagebild/audit';
import { MIGRATIONS_DIR, migrate } from '@lagebild/db/migrate';
import { createAuditLog, createRetentionSweeper } from '@lagebild/gateway/recordings';
import type { PoliciesResponse, PoliciesUpdateResponse } from '@lagebild/protocol';
import { dayKekId, localFolderStore, makeTestVideo, readWrappedKey, verifierFromPem } from '@lagebild/vault';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, login, status, type TestDevice } from '../src/clients.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';
import { type TestVault, testVault } from '../src/test-vault.ts';

const DAY = 86_400_000;
const ROLES = ['admin', 'supervisor', 'operator', 'evaluator'] as const;
type Role = (typeof ROLES)[number];

let dir: string;
let stack: Stack;
let vault: TestVault;
let videoPath: string;
let A: string;
let B: string;
const cookies: Record<string, string> = {};
let dortmundAdmin: string;

const tenantOf = (slug: 'duisburg' | 'dortmund') => stack.tenants.find((t) => t.slug === slug)!;

function call(cookie: string, method: 'GET' | 'PUT', body?: unknown, base = A) {
  return fetch(`${base}/api/admin/policies`, {
    method,
    headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
const put = (role: Role, body: unknown) => call(cookies[role]!, 'PUT', body);

async function policiesInDb(slug: 'duisburg' | 'dortmund') {
  const { rows } = await stack.db.pool.query(
    `SELECT retention_days, prerecord_s, auto_incident_on, alert_escalate_after_s, dispatch_answer_timeout_s
       FROM tenants WHERE id = $1`,
    [tenantOf(slug).id],
  );
  return rows[0];
}
const policyAudit = async () =>
  (
    await stack.db.pool.query(
      `SELECT tenant_id, actor, target, reason, payload FROM audit_log WHERE action = 'policy_changed' ORDER BY seq`,
    )
  ).rows;

async function newRecording(slug: 'duisburg' | 'dortmund', startedAt: number): Promise<string> {
  const t = tenantOf(slug);
  return vault.importRecording(stack, {
    tenantId: t.id,
    deviceId: t.devices[0]!.deviceId,
    file: videoPath,
    startedAt,
  });
}
async function dueOf(ids: string[]): Promise<Record<string, number | null>> {
  const { rows } = await stack.db.pool.query('SELECT id, delete_at FROM recordings WHERE id = ANY($1)', [
    ids,
  ]);
  return Object.fromEntries(rows.map((r) => [r.id, r.delete_at?.getTime() ?? null]));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lagebild-policies-'));
  videoPath = join(dir, 'source.webm');
  await makeTestVideo(videoPath, { seconds: 2 });
  vault = await testVault(dir);
  stack = await startStack({
    gateways: 2,
    devicesPerTenant: 4,
    gatewayEnv: {
      ...vault.env,
      RETENTION_SWEEP_MS: '0',
    },
  });
  [A, B] = stack.gateways.map((g) => g.url) as [string, string];
  await vault.addTenants(stack);
  for (const r of ROLES) cookies[r] = await login(A, `duisburg.${r}`, DEMO_PASSWORD);
  dortmundAdmin = await login(A, 'dortmund.admin', DEMO_PASSWORD);
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('GET /api/admin/policies', () => {
  it('shows an admin the policies of their own tenant: the defaults, never changed yet', async () => {
    const res = await call(cookies.admin!, 'GET');
    expect(res.status).toBe(200);
    expect((await res.json()) as PoliciesResponse).toEqual({
      policies: {
        retentionDays: 14,
        prerecordS: 0,
        autoIncidentOn: ['emergency', 'recording'],
        alertEscalateAfterS: 60,
        dispatchAnswerTimeoutS: 60,
      },
      lastChange: null,
    });
  });

  it('refuses supervisors, operators and evaluators (403, read and write) and anonymous callers (401)', async () => {
    for (const role of ['supervisor', 'operator', 'evaluator'] as const) {
      const read = await call(cookies[role]!, 'GET');
      expect([role, read.status]).toEqual([role, 403]);
      expect((await read.json()).error.code).toBe('forbidden');
      const write = await put(role, { retentionDays: 7, reason: 'Versuch ohne Recht' });
      expect([role, write.status]).toEqual([role, 403]);
    }
    expect((await call('lb_session=nope', 'GET')).status).toBe(401);
    expect((await policiesInDb('duisburg')).retention_days).toBe(14);
    expect(await policyAudit()).toEqual([]);
  });
});

describe('PUT /api/admin/policies: validation', () => {
  const cases: [string, unknown, RegExp][] = [
    ['retention 15 days', { retentionDays: 15, reason: 'längere Frist' }, /retentionDays.*at most 14 days/],
    ['retention 0 days', { retentionDays: 0, reason: 'keine Frist' }, /retentionDays.*at least 1 day/],
    ['a fraction of a day', { retentionDays: 2.5, reason: 'halbe Tage' }, /retentionDays.*whole number/],
    [
      'an unknown field',
      { retentionDays: 7, colour: 'blue', reason: 'Farbe ändern' },
      /Unrecognized key.*colour/,
    ],
    ['pre-recording beyond 120 s', { prerecordS: 121, reason: 'mehr Vorlauf' }, /prerecordS.*at most 120/],
    ['an unknown trigger', { autoIncidentOn: ['manual'], reason: 'manuell' }, /autoIncidentOn/],
    ['a trigger twice', { autoIncidentOn: ['emergency', 'emergency'], reason: 'doppelt' }, /at most once/],
    [
      'escalation under 5 s',
      { alertEscalateAfterS: 4, reason: 'schneller' },
      /alertEscalateAfterS.*at least 5/,
    ],
    ['answer time over 600 s', { dispatchAnswerTimeoutS: 601, reason: 'länger' }, /at most 600/],
    ['no reason', { retentionDays: 7 }, /reason/],
    ['a reason of 4 characters', { retentionDays: 7, reason: ' abcd ' }, /reason must be at least 5/],
    [
      'a reason of 501 characters',
      { retentionDays: 7, reason: 'x'.repeat(501) },
      /reason must be at most 500/,
    ],
    ['no policy at all', { reason: 'nur ein Grund' }, /at least one policy/],
  ];
  it.each(cases)('refuses %s with 400 naming the problem', async (_what, body, message) => {
    const res = await put('admin', body);
    expect(res.status).toBe(400);
    const err = (await res.json()).error;
    expect(err.code).toBe('bad_request');
    expect(err.issues.join('\n')).toMatch(message);
  });

  it('changed nothing and audited nothing while refusing', async () => {
    expect(await policiesInDb('duisburg')).toEqual({
      retention_days: 14,
      prerecord_s: 0,
      auto_incident_on: ['emergency', 'recording'],
      alert_escalate_after_s: 60,
      dispatch_answer_timeout_s: 60,
    });
    expect(await policyAudit()).toEqual([]);
  });

  it('[RET1] the database refuses the same out-of-range values (migration 0008)', async () => {
    const id = tenantOf('duisburg').id;
    for (const sql of [
      'UPDATE tenants SET retention_days = 15 WHERE id = $1',
      'UPDATE tenants SET retention_days = 0 WHERE id = $1',
      'UPDATE tenants SET alert_escalate_after_s = 3601 WHERE id = $1',
      'UPDATE tenants SET dispatch_answer_timeout_s = 601 WHERE id = $1',
      "UPDATE tenants SET auto_incident_on = ARRAY['manual'] WHERE id = $1",
    ]) {
      await expect(stack.db.pool.query(sql, [id]), sql).rejects.toThrow(/check constraint/);
    }
  });
});

describe('PUT /api/admin/policies: changes', () => {
  it('[AUD2] updates the own tenant in one audited step; the other tenant keeps its policies', async () => {
    const before = await policiesInDb('dortmund');
    const res = await put('admin', {
      prerecordS: 30,
      autoIncidentOn: ['recording', 'emergency'],
      alertEscalateAfterS: 90,
      dispatchAnswerTimeoutS: 45,
      reason: '  Dienstanweisung 4/2026: Vorlauf 30 s  ',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as PoliciesUpdateResponse;
    expect(body.policies).toEqual({
      retentionDays: 14,
      prerecordS: 30,
      autoIncidentOn: ['emergency', 'recording'],
      alertEscalateAfterS: 90,
      dispatchAnswerTimeoutS: 45,
    });
    // the triggers were the same set in another order: not a change
    expect(body.changed).toEqual(['prerecordS', 'alertEscalateAfterS', 'dispatchAnswerTimeoutS']);
    expect(body.recordingsShortened).toBe(0);
    expect(body.lastChange).toMatchObject({
      actor: 'duisburg.admin',
      reason: 'Dienstanweisung 4/2026: Vorlauf 30 s',
    });
    expect(await policiesInDb('dortmund')).toEqual(before);
    const audit = await policyAudit();
    expect(audit).toEqual([
      {
        tenant_id: tenantOf('duisburg').id,
        actor: 'duisburg.admin',
        target: `tenant:${tenantOf('duisburg').id}`,
        reason: 'Dienstanweisung 4/2026: Vorlauf 30 s',
        payload: {
          old: { prerecordS: 0, alertEscalateAfterS: 60, dispatchAnswerTimeoutS: 60 },
          new: { prerecordS: 30, alertEscalateAfterS: 90, dispatchAnswerTimeoutS: 45 },
          recordingsShortened: 0,
        },
      },
    ]);
    const read = (await (await call(cookies.admin!, 'GET', undefined, B)).json()) as PoliciesResponse;
    expect(read.policies.prerecordS).toBe(30);
    expect(read.lastChange?.actor).toBe('duisburg.admin');
    // the other tenant's admin sees and changes only their own
    const other = (await (await call(dortmundAdmin, 'GET')).json()) as PoliciesResponse;
    expect(other).toMatchObject({ policies: { prerecordS: 0, alertEscalateAfterS: 60 }, lastChange: null });
  });

  it('writes nothing and audits nothing when every value is already set', async () => {
    const res = await put('admin', { prerecordS: 30, reason: 'noch einmal dasselbe' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as PoliciesUpdateResponse).changed).toEqual([]);
    expect((await policyAudit()).length).toBe(1);
  });

  it('keeps the audit chain intact', async () => {
    const pool = stack.db.pool;
    const r = await verifyAuditChain(
      readAuditLog(pool),
      await loadCheckpoints(pool),
      verifierFromPem(vault.signer.publicKeyPem),
    );
    expect(r.ok).toBe(true);
  });
});

describe('retention period', () => {
  it('[RET1][RET2][FE8][KC3] shortening moves standard recordings forward at once (not evidence, not an approved extension) and re-wraps their keys under the earlier day; lengthening only affects new ones; the sweeper deletes what is due', async () => {
    const now = Date.now();
    const old = await newRecording('duisburg', now - 3 * DAY); // due in 11 days; after 2 days: overdue
    const recent = await newRecording('duisburg', now - 1 * 3_600_000); // after 2 days: in ~2 days
    const evidence = await newRecording('duisburg', now - 3 * DAY);
    const extended = await newRecording('duisburg', now - 3 * DAY);
    const dortmund = await newRecording('dortmund', now - 3 * DAY);
    const supervisor = (path: string, body: unknown, role: Role = 'supervisor') =>
      fetch(`${A}${path}`, {
        method: 'POST',
        headers: { cookie: cookies[role]!, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(
      (
        await supervisor(`/api/recordings/${evidence}/evidence`, {
          reason: 'Widerstand gegen Vollstreckungsbeamte',
          caseReference: 'Az. 12/26',
        })
      ).status,
    ).toBe(200);
    const ask = await supervisor(
      `/api/recordings/${extended}/approvals`,
      { action: 'extension', extendDays: 5, reason: 'Sichtung durch die Staatsanwaltschaft' },
      'operator',
    );
    expect(ask.status).toBe(201);
    const { id: approvalId } = await ask.json();
    expect(
      (
        await supervisor(`/api/recording-approvals/${approvalId}/decision`, {
          approve: true,
          reason: 'Vier-Augen-Prüfung erfolgt',
        })
      ).status,
    ).toBe(200);
    const before = await dueOf([old, recent, evidence, extended, dortmund]);
    expect(before[extended]! - before[old]!).toBe(5 * DAY);

    const res = await put('admin', { retentionDays: 2, reason: 'Regelfrist auf zwei Tage verkürzt' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as PoliciesUpdateResponse;
    expect(body.changed).toEqual(['retentionDays']);
    expect(body.recordingsShortened).toBeGreaterThanOrEqual(3);
    const after = await dueOf([old, recent, evidence, extended, dortmund]);
    const startOf = async (id: string) =>
      (
        await stack.db.pool.query('SELECT started_at FROM recordings WHERE id = $1', [id])
      ).rows[0].started_at.getTime();
    expect(after[old]).toBe((await startOf(old)) + 2 * DAY);
    expect(after[recent]).toBe((await startOf(recent)) + 2 * DAY);
    expect(after[extended]).toBe((await startOf(extended)) + 7 * DAY); // 2 days + the approved 5
    expect(after[evidence]).toBeNull();
    expect(after[dortmund]).toBe(before[dortmund]);
    const entry = (await policyAudit()).at(-1);
    expect(entry).toMatchObject({
      reason: 'Regelfrist auf zwei Tage verkürzt',
      payload: {
        old: { retentionDays: 14 },
        new: { retentionDays: 2 },
        recordingsShortened: body.recordingsShortened,
        recordingsRewrapped: 3,
      },
    });

    // [KC3] each moved recording's data key is re-wrapped under the key of its new, earlier day in
    // the same step (audited), so no copy of its key.json outlives that day; evidence and the other
    // tenant keep their keys
    const store = localFolderStore(vault.env.VAULT_DIR);
    const keyOf = async (slug: 'duisburg' | 'dortmund', id: string) => ({
      file: (await readWrappedKey(store, tenantOf(slug).id, id)).kekId,
      row: (await stack.db.pool.query('SELECT kek_id FROM recordings WHERE id = $1', [id])).rows[0].kek_id,
    });
    for (const id of [old, recent, extended]) {
      const day = dayKekId(after[id]!);
      expect(await keyOf('duisburg', id)).toEqual({ file: day, row: day });
      const { rows: rewrapped } = await stack.db.pool.query(
        `SELECT actor, reason, payload FROM audit_log WHERE action = 'recording_rewrapped' AND target = $1`,
        [`recording:${id}`],
      );
      expect(rewrapped.at(-1)).toMatchObject({
        reason: 'Regelfrist auf zwei Tage verkürzt',
        payload: { from: dayKekId(before[id]!), to: day, deleteAt: after[id] },
      });
    }
    expect((await keyOf('duisburg', evidence)).file).toMatch(/^evidence-/);
    expect((await keyOf('dortmund', dortmund)).file).toBe(dayKekId(before[dortmund]!));
    // the re-wrapped key opens in the token (the recording stays playable until its new day)
    expect(
      vault.keyring.unwrap(await readWrappedKey(store, tenantOf('duisburg').id, recent), {
        tenantId: tenantOf('duisburg').id,
        recordingId: recent,
      }),
    ).toHaveLength(32);

    // lengthening again: existing recordings stay where they are, a new one gets the new period
    const longer = await put('admin', { retentionDays: 10, reason: 'Regelfrist wieder zehn Tage' });
    expect(((await longer.json()) as PoliciesUpdateResponse).recordingsShortened).toBe(0);
    expect(await dueOf([old, recent, evidence, extended, dortmund])).toEqual(after);
    const fresh = await newRecording('duisburg', now);
    expect((await dueOf([fresh]))[fresh]).toBe(now + 10 * DAY);

    const sweeper = createRetentionSweeper({
      pool: stack.db.pool,
      store: localFolderStore(vault.env.VAULT_DIR),
      audit: createAuditLog({ pool: stack.db.pool, signer: vault.signer, log: pino({ level: 'silent' }) }),
      log: pino({ level: 'silent' }),
    });
    expect((await sweeper.sweepOnce()).deleted).toBe(1);
    const { rows } = await stack.db.pool.query('SELECT id, state FROM recordings WHERE id = ANY($1)', [
      [old, recent, evidence, extended, dortmund, fresh],
    ]);
    const state = Object.fromEntries(rows.map((r) => [r.id, r.state]));
    expect(state).toEqual({
      [old]: 'deleted',
      [recent]: 'complete',
      [evidence]: 'complete',
      [extended]: 'complete',
      [dortmund]: 'complete',
      [fresh]: 'complete',
    });
  });
});

describe('running gateways', () => {
  let devices: TestDevice[] = [];
  afterAll(() => {
    for (const d of devices) d.close();
  });
  const recordingIncidents = async (deviceId: string) =>
    (
      await stack.db.pool.query(
        `SELECT count(*)::int AS n FROM incidents WHERE device_id = $1 AND kind = 'recording'`,
        [deviceId],
      )
    ).rows[0].n as number;
  const startRecording = async (d: TestDevice) =>
    expect((await d.send(status(1, { stage: 'recording', announced: true }))).ok).toBe(true);

  it('[DSP1] a changed auto-incident policy applies on the other gateway at once, not after its cache expires', async () => {
    const t = tenantOf('duisburg');
    devices = await Promise.all(t.devices.slice(1, 4).map((d) => connectDevice(B, d)));
    const [warm, off, on] = devices as [TestDevice, TestDevice, TestDevice];
    const id = (i: number) => t.devices[i]!.deviceId;
    // gateway B reads (and caches) "recording opens an incident"
    await startRecording(warm);
    await expect.poll(() => recordingIncidents(id(1)), { timeout: 5000 }).toBe(1);

    const res = await put('admin', { autoIncidentOn: ['emergency'], reason: 'Aufnahme ohne Einsatz' });
    expect(res.status).toBe(200);
    await startRecording(off);
    await new Promise((r) => setTimeout(r, 1500)); // the persister has committed the stage by then
    expect(await recordingIncidents(id(2))).toBe(0);

    await put('admin', { autoIncidentOn: ['emergency', 'recording'], reason: 'wieder mit Einsatz' });
    await startRecording(on);
    await expect.poll(() => recordingIncidents(id(3)), { timeout: 5000 }).toBe(1);
  });
});

describe('migration 0008', () => {
  it('[RET8] clamps a longer retention period to 14 days and moves the affected deletion times the same way', async () => {
    const migDir = join(dir, 'migrations-0007');
    await cp(MIGRATIONS_DIR, migDir, { recursive: true });
    await rm(join(migDir, '0008_policy_bounds'), { recursive: true });
    for (const later of (await readdir(migDir)).filter((n) => n > '0008'))
      await rm(join(migDir, later), { recursive: true });
    const admin = new pg.Client({ connectionString: stack.pg.url });
    await admin.connect();
    await admin.query('CREATE DATABASE policy_migration');
    await admin.end();
    const url = new URL(stack.pg.url);
    url.pathname = '/policy_migration';
    await migrate(url.toString(), migDir);
    const c = new pg.Client({ connectionString: url.toString() });
    await c.connect();
    try {
      const tenant = async (slug: string, days: number, escalate: number, on: string[]) =>
        (
          await c.query(
            `INSERT INTO tenants (slug, name, center_lat, center_lng, retention_days, alert_escalate_after_s, auto_incident_on)
             VALUES ($1, $1, 51, 6, $2, $3, $4) RETURNING id`,
            [slug, days, escalate, on],
          )
        ).rows[0].id as string;
      const long = await tenant('long', 30, 7200, ['recording', 'manual', 'recording']);
      const fine = await tenant('fine', 7, 60, ['emergency']);
      const device = async (t: string) =>
        (
          await c.query(
            `INSERT INTO devices (tenant_id, label, secret_hash) VALUES ($1, 'd', 'x') RETURNING id`,
            [t],
          )
        ).rows[0].id as string;
      const rec = async (t: string, dev: string, startedDaysAgo: number, days: number, held = false) =>
        (
          await c.query(
            `INSERT INTO recordings (id, tenant_id, device_id, started_at, state, retention, retention_reason, case_reference, delete_at)
             VALUES (gen_random_uuid(), $1, $2, now() - make_interval(days => $3), 'complete', $4, $5, $6,
                     CASE WHEN NOT $8 THEN now() - make_interval(days => $3) + make_interval(days => $7) END)
             RETURNING id`,
            [
              t,
              dev,
              startedDaysAgo,
              held ? 'evidence' : 'standard',
              held ? 'Beweis' : null,
              held ? 'Az' : null,
              days,
              held,
            ],
          )
        ).rows[0].id as string;
      const dl = await device(long);
      const df = await device(fine);
      const r20 = await rec(long, dl, 20, 30);
      const r1 = await rec(long, dl, 1, 30);
      const held = await rec(long, dl, 20, 30, true);
      const f1 = await rec(fine, df, 1, 7);
      const before = (await c.query('SELECT id, started_at, delete_at FROM recordings')).rows.reduce<
        Record<string, { s: number; d: number | null }>
      >(
        (m, r) =>
          Object.assign(m, { [r.id]: { s: r.started_at.getTime(), d: r.delete_at?.getTime() ?? null } }),
        {},
      );

      const result = await migrate(url.toString());
      expect(result.applied).toContain('0008_policy_bounds');
      const t = (
        await c.query(
          'SELECT slug, retention_days, alert_escalate_after_s, auto_incident_on FROM tenants ORDER BY slug',
        )
      ).rows;
      expect(t).toEqual([
        { slug: 'fine', retention_days: 7, alert_escalate_after_s: 60, auto_incident_on: ['emergency'] },
        { slug: 'long', retention_days: 14, alert_escalate_after_s: 3600, auto_incident_on: ['recording'] },
      ]);
      const after = Object.fromEntries(
        (await c.query('SELECT id, delete_at FROM recordings')).rows.map((r) => [
          r.id,
          r.delete_at?.getTime() ?? null,
        ]),
      );
      expect(after[r20]).toBe(before[r20]!.s + 14 * DAY); // overdue now: the sweeper deletes it next
      expect(after[r1]).toBe(before[r1]!.s + 14 * DAY);
      expect(after[held]).toBeNull();
      expect(after[f1]).toBe(before[f1]!.d);
    } finally {
      await c.end();
    }
  });
});
