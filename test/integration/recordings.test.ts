/**
 * Issue #6, recordings through the gateway: a real WebM (ffmpeg) through the real vault pipeline,
 * the role × action × tenant matrix for every recording endpoint (every cell asserted), playback with
 * HTTP Range, export verified by `npm run verify -- export`, the four-eyes rule, and the retention
 * sweeper with an injected clock, killed midway and resumed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { liveWatchTarget, loadCheckpoints, readAuditLog, verifyAuditChain } from '@lagebild/audit';
import { createAuditLog, createRetentionSweeper } from '@lagebild/gateway/recordings';
import { REPO_ROOT } from '@lagebild/infra/paths';
import { localFolderStore, makeTestVideo } from '@lagebild/vault';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from '../src/clients.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';
import { type TestVault, testVault } from '../src/test-vault.ts';

const run = promisify(execFile);
let dir: string;
let stack: Stack;
let vault: TestVault;
let video: Buffer;
let videoPath: string;
const cookies: Record<string, string> = {};
const ROLES = ['admin', 'supervisor', 'operator', 'evaluator'] as const;
type Role = (typeof ROLES)[number];

async function newRecording(
  city: 'duisburg' | 'dortmund',
  over: { startedAt?: number } = {},
): Promise<string> {
  const t = stack.tenants.find((x) => x.slug === city)!;
  return vault.importRecording(stack, {
    tenantId: t.id,
    deviceId: t.devices[0]!.deviceId,
    file: videoPath,
    startedAt: over.startedAt,
  });
}

function api(
  role: Role,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  return fetch(`${stack.url}${path}`, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: {
      cookie: cookies[role]!,
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lagebild-rec-'));
  videoPath = join(dir, 'source.webm');
  await makeTestVideo(videoPath, { seconds: 10 });
  video = await readFile(videoPath);
  vault = await testVault(dir);
  stack = await startStack({
    devicesPerTenant: 3,
    gatewayEnv: {
      ...vault.env,
      RETENTION_SWEEP_MS: '0',
    },
  });
  await vault.addTenants(stack);
  for (const r of ROLES) cookies[r] = await login(stack.url, `duisburg.${r}`, DEMO_PASSWORD);
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('role × action × tenant matrix', () => {
  type Action =
    | 'list'
    | 'get'
    | 'playback'
    | 'stream'
    | 'evidence'
    | 'release'
    | 'export'
    | 'approval'
    | 'pending'
    | 'audit';
  const OWN: Record<Action, Record<Role, number>> = {
    list: { admin: 200, supervisor: 200, operator: 200, evaluator: 403 },
    get: { admin: 200, supervisor: 200, operator: 200, evaluator: 403 },
    playback: { admin: 200, supervisor: 200, operator: 200, evaluator: 403 },
    stream: { admin: 206, supervisor: 206, operator: 206, evaluator: 403 },
    evidence: { admin: 200, supervisor: 200, operator: 403, evaluator: 403 },
    // a release only files a four-eyes request (issue 11)
    release: { admin: 202, supervisor: 202, operator: 403, evaluator: 403 },
    export: { admin: 200, supervisor: 200, operator: 403, evaluator: 403 },
    approval: { admin: 201, supervisor: 201, operator: 201, evaluator: 403 },
    pending: { admin: 200, supervisor: 200, operator: 403, evaluator: 403 },
    audit: { admin: 200, supervisor: 403, operator: 403, evaluator: 403 },
  };
  const reason = { reason: 'Prüfung des Einsatzverlaufs' };

  async function act(role: Role, action: Action, id: string): Promise<Response> {
    switch (action) {
      case 'list':
        return api(role, '/api/recordings');
      case 'get':
        return api(role, `/api/recordings/${id}`);
      case 'playback':
        return api(role, `/api/recordings/${id}/playback`, { body: reason });
      case 'stream': {
        // a ticket from an authorised colleague of the same tenant never works for someone else
        const own = await api(role, `/api/recordings/${id}/playback`, { body: reason });
        const url = own.ok
          ? ((await own.json()) as { url: string }).url
          : `/api/recordings/${id}/stream?ticket=x`;
        return api(role, url, { headers: { range: 'bytes=0-99' } });
      }
      case 'evidence':
        return api(role, `/api/recordings/${id}/evidence`, {
          body: { ...reason, caseReference: 'Az. 123/26' },
        });
      case 'release':
        await stack.db.pool.query(
          `UPDATE recordings SET retention = 'evidence', retention_reason = 'x', case_reference = 'y', delete_at = NULL WHERE id = $1 AND tenant_id = (SELECT id FROM tenants WHERE slug = 'duisburg')`,
          [id],
        );
        return api(role, `/api/recordings/${id}/release`, { body: reason });
      case 'export':
        return api(role, `/api/recordings/${id}/export`, {
          body: { ...reason, recipient: 'StA Duisburg 1 Js 2/26' },
        });
      case 'approval':
        return api(role, `/api/recordings/${id}/approvals`, {
          body: { ...reason, action: 'extension', extendDays: 30 },
        });
      case 'pending':
        return api(role, '/api/recording-approvals');
      case 'audit':
        return api(role, '/api/audit');
    }
  }

  it('answers every cell as the policy says, and never lists another tenant’s recording', async () => {
    const foreign = await newRecording('dortmund');
    const cells: string[] = [];
    for (const action of Object.keys(OWN) as Action[]) {
      for (const role of ROLES) {
        const own = await newRecording('duisburg');
        const a = await act(role, action, own);
        await a.arrayBuffer();
        cells.push(`${action}/${role}/own → ${a.status}`);
        expect(a.status, `${action} by ${role} on own tenant`).toBe(OWN[action][role]);
        const b = await act(role, action, foreign);
        const body = await b.text();
        const tenantWide = action === 'list' || action === 'pending' || action === 'audit';
        // another tenant's recording answers like one that does not exist, unless the role is refused first (issue 11)
        const expected = tenantWide ? OWN[action][role] : OWN[action][role] === 403 ? 403 : 404;
        cells.push(`${action}/${role}/other → ${b.status}`);
        expect(b.status, `${action} by ${role} on another tenant`).toBe(expected);
        if ((action === 'list' || action === 'pending') && b.status === 200)
          expect(body).not.toContain(foreign);
        // the only trace of the foreign id in this tenant's audit view: the refusals themselves
        if (action === 'audit' && b.status === 200) {
          const { entries } = JSON.parse(body) as { entries: { action: string; target: string | null }[] };
          for (const e of entries.filter((x) => x.target?.includes(foreign)))
            expect(e.action).toBe('cross_tenant_refused');
        }
      }
    }
    expect(cells.length).toBe(10 * 4 * 2);
    // the other tenant's recording is untouched by all of that
    const { rows } = await stack.db.pool.query('SELECT retention, state FROM recordings WHERE id = $1', [
      foreign,
    ]);
    expect(rows[0]).toEqual({ retention: 'standard', state: 'complete' });
  }, 120_000);
});

describe('audit view names', () => {
  type Label = { kind: string; label: string; unit?: string; startedAt?: number };
  type Entry = {
    seq: number;
    actor: string | null;
    action: string;
    target: string | null;
    actorLabel?: Label;
    targetLabel?: Label;
  };
  const entriesOf = async (query: string) => {
    const r = await api('admin', `/api/audit?${query}`);
    expect(r.status).toBe(200);
    const text = await r.text();
    return { text, entries: (JSON.parse(text) as { entries: Entry[] }).entries };
  };

  it('[AUD11] names devices, recordings, users and system actors of the own tenant, and never another tenant’s', async () => {
    const duisburg = stack.tenants.find((t) => t.slug === 'duisburg')!;
    const dortmund = stack.tenants.find((t) => t.slug === 'dortmund')!;
    const own = await newRecording('duisburg');
    const foreign = await newRecording('dortmund');
    const ownDevice = duisburg.devices[0]!;
    const otherDevice = dortmund.devices[0]!;
    // a refused look at the other tenant's recording: its id lands in this tenant's log
    expect((await api('admin', `/api/recordings/${foreign}`)).status).toBe(404);
    // entries as the live watch, the recorder and a refusal write them, with ids of both tenants
    const audit = createAuditLog({
      pool: stack.db.pool,
      signer: vault.signer,
      log: pino({ level: 'silent' }),
    });
    const watch = { tenantId: duisburg.id, actor: 'duisburg.operator', action: 'live_watch' } as const;
    await audit.append({
      ...watch,
      target: liveWatchTarget(ownDevice.deviceId),
      payload: { phase: 'started' },
    });
    await audit.append({
      ...watch,
      target: liveWatchTarget(otherDevice.deviceId),
      payload: { phase: 'started' },
    });
    await audit.append({
      tenantId: duisburg.id,
      actor: 'dortmund.admin',
      action: 'cross_tenant_refused',
      target: `device:${otherDevice.deviceId}`,
    });
    await audit.append({
      tenantId: duisburg.id,
      actor: 'system:recorder',
      action: 'recording_started',
      target: `recording:${own}`,
    });

    // own recording: the device that sealed it and the recording, with unit and start
    const ownRec = await entriesOf(`target=${own}`);
    const sealed = ownRec.entries.find((e) => e.action === 'recording_sealed')!;
    expect(sealed.actor).toBe(`device:${ownDevice.deviceId}`);
    expect(sealed.actorLabel).toEqual({ kind: 'device', label: ownDevice.label, unit: expect.any(String) });
    expect(sealed.targetLabel).toEqual({
      kind: 'recording',
      label: ownDevice.label,
      unit: sealed.actorLabel!.unit,
      startedAt: expect.any(Number),
    });
    const started = ownRec.entries.find((e) => e.actor === 'system:recorder')!;
    expect(started.actorLabel).toEqual({ kind: 'system', label: 'recorder' });

    // a bare device id (live watch) of the own tenant, and the watcher's display name
    const ownWatch = (await entriesOf(`action=live_watch&target=${ownDevice.deviceId}`)).entries[0]!;
    expect(ownWatch.targetLabel).toEqual({
      kind: 'device',
      label: ownDevice.label,
      unit: expect.any(String),
    });
    expect(ownWatch.actorLabel).toMatchObject({ kind: 'user', label: expect.stringMatching(/\S/) });
    expect(ownWatch.actorLabel!.label).not.toBe('duisburg.operator');

    // the other tenant's recording, device and user stay raw, and their names appear nowhere
    const foreignRec = await entriesOf(`target=${foreign}`);
    expect(foreignRec.entries.map((e) => e.action)).toEqual(['cross_tenant_refused']);
    expect(foreignRec.entries[0]!.targetLabel).toBeUndefined();
    const foreignDev = await entriesOf(`target=${otherDevice.deviceId}`);
    expect(foreignDev.entries.map((e) => e.action).sort()).toEqual(['cross_tenant_refused', 'live_watch']);
    for (const e of foreignDev.entries) expect(e.targetLabel).toBeUndefined();
    const refusal = foreignDev.entries.find((e) => e.action === 'cross_tenant_refused')!;
    expect(refusal.actor).toBe('dortmund.admin');
    expect(refusal.actorLabel).toBeUndefined();
    for (const { text } of [foreignRec, foreignDev]) {
      expect(text).not.toContain(otherDevice.label);
      expect(text).not.toContain('Dortmund');
    }

    // the filters find what the view shows: a device label as target matches the bare id (live
    // watch), `device:<id>` and the device's recordings; every hit names that device
    const byLabel = await entriesOf(`target=${encodeURIComponent(ownDevice.label)}&limit=500`);
    expect(byLabel.entries.length).toBeGreaterThan(0);
    for (const e of byLabel.entries) expect(e.targetLabel?.label).toBe(ownDevice.label);
    const hit = (pred: (e: Entry) => boolean) => byLabel.entries.some(pred);
    expect(hit((e) => e.action === 'live_watch' && e.target === ownDevice.deviceId)).toBe(true);
    expect(hit((e) => e.action === 'recording_sealed' && e.target === `recording:${own}`)).toBe(true);
    expect(hit((e) => e.actor === 'system:recorder' && e.target === `recording:${own}`)).toBe(true);
    expect(hit((e) => e.target === `recording:${foreign}` || e.target === otherDevice.deviceId)).toBe(false);
    // ... and the paging stays: limit and beforeSeq over the filtered entries
    const first = await entriesOf(`target=${encodeURIComponent(ownDevice.label)}&limit=1`);
    expect(first.entries.map((e) => e.seq)).toEqual([byLabel.entries[0]!.seq]);
    const next = await entriesOf(
      `target=${encodeURIComponent(ownDevice.label)}&limit=1&beforeSeq=${first.entries[0]!.seq}`,
    );
    expect(next.entries.map((e) => e.seq)).toEqual([byLabel.entries[1]!.seq]);

    // a device label as actor: the recordings that device sealed
    const byDevice = await entriesOf(`actor=${encodeURIComponent(ownDevice.label)}&limit=500`);
    expect(
      byDevice.entries.some((e) => e.action === 'recording_sealed' && e.target === `recording:${own}`),
    ).toBe(true);
    for (const e of byDevice.entries) expect(e.actor).toBe(`device:${ownDevice.deviceId}`);

    // a display name as actor: that user's entries under their username
    const displayName = ownWatch.actorLabel!.label;
    const byName = await entriesOf(`actor=${encodeURIComponent(displayName)}&limit=500`);
    expect(byName.entries.some((e) => e.seq === ownWatch.seq)).toBe(true);
    for (const e of byName.entries) {
      expect(e.actor).toBe('duisburg.operator');
      expect(e.actorLabel?.label).toBe(displayName);
    }

    // the other tenant's names match nothing, though its ids are in this log (refusals, a watch)
    expect((await entriesOf(`target=${encodeURIComponent(otherDevice.label)}`)).entries).toEqual([]);
    expect((await entriesOf(`actor=${encodeURIComponent(otherDevice.label)}`)).entries).toEqual([]);
    expect((await entriesOf(`actor=${encodeURIComponent('Administration Dortmund')}`)).entries).toEqual([]);
    // while its raw ids still match as stored
    expect((await entriesOf(`actor=dortmund.admin`)).entries.length).toBeGreaterThan(0);
  }, 60_000);
});

describe('playback and export', () => {
  it('[AUD3] streams the decrypted video with Range after an audited reason', async () => {
    const id = await newRecording('duisburg');
    const p = await api('operator', `/api/recordings/${id}/playback`, {
      body: { reason: 'Beschwerde Bürger 4711' },
    });
    const { url } = (await p.json()) as { url: string };
    const part = await api('operator', url, { headers: { range: 'bytes=100000-165535' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100000-165535/${video.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(video.subarray(100000, 165536))).toBe(true);
    const whole = await api('operator', url);
    expect(Buffer.from(await whole.arrayBuffer()).equals(video)).toBe(true);
    const unsat = await api('operator', url, { headers: { range: `bytes=${video.length}-` } });
    expect(unsat.status).toBe(400);
    const { rows } = await stack.db.pool.query(
      `SELECT actor, reason FROM audit_log WHERE action = 'playback' AND target = $1`,
      [`recording:${id}`],
    );
    expect(rows).toEqual([{ actor: 'duisburg.operator', reason: 'Beschwerde Bürger 4711' }]);
  });

  it('[AUD3] exports a bundle that npm run verify -- export accepts, with the recipient audited', async () => {
    const id = await newRecording('duisburg');
    const res = await api('supervisor', `/api/recordings/${id}/export`, {
      body: { reason: 'Strafanzeige', recipient: 'StA Duisburg 123 Js 456/26' },
    });
    expect(res.status).toBe(200);
    const file = join(dir, 'export.tar');
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    const out = await run(process.execPath, [
      join(REPO_ROOT, 'packages/audit/src/cli.ts'),
      'export',
      file,
      '--pubkey',
      vault.pubFile,
    ]);
    expect(out.stdout).toContain('export verified');
    const { rows } = await stack.db.pool.query(
      `SELECT recipient FROM audit_log WHERE action = 'export' AND target = $1`,
      [`recording:${id}`],
    );
    expect(rows).toEqual([{ recipient: 'StA Duisburg 123 Js 456/26' }]);
  });
});

describe('four-eyes rule', () => {
  it('[FE1][FE3][FE4][FE5][FE9] needs a second person, a superior, to delete early; both steps are audited', async () => {
    const id = await newRecording('duisburg');
    const req = await api('operator', `/api/recordings/${id}/approvals`, {
      body: { action: 'early_deletion', reason: 'Aufnahme versehentlich ausgelöst' },
    });
    const { id: approval } = (await req.json()) as { id: string };
    const decide = (role: Role) =>
      api(role, `/api/recording-approvals/${approval}/decision`, {
        body: { approve: true, reason: 'bestätigt, kein Anlass' },
      });
    expect((await decide('operator')).status).toBe(403);
    expect((await decide('evaluator')).status).toBe(403);
    expect((await decide('supervisor')).status).toBe(200);
    expect((await decide('admin')).status).toBe(409);
    const { rows } = await stack.db.pool.query(
      'SELECT state, deletion_receipt FROM recordings WHERE id = $1',
      [id],
    );
    expect(rows[0].state).toBe('deleted');
    expect(JSON.parse(rows[0].deletion_receipt).cause).toContain('early_deletion');
    const audit = await stack.db.pool.query(`SELECT action FROM audit_log WHERE target = $1 ORDER BY seq`, [
      `recording:${id}`,
    ]);
    expect(audit.rows.map((r) => r.action)).toEqual([
      'recording_sealed',
      'four_eyes_requested',
      'four_eyes_decided',
      'recording_deleted',
    ]);
    const own = await api('supervisor', `/api/recordings/${id}/approvals`, {
      body: { action: 'extension', extendDays: 10, reason: 'noch in Prüfung' },
    });
    expect(own.status).toBe(409);
  });
});

describe('retention sweeper', () => {
  it('[RET3][RET4][RET5][RET6][AUD2] deletes expired standard recordings only, survives being killed midway, and audits each deletion once', async () => {
    const DAY = 86_400_000;
    const t0 = Date.now() + 400 * DAY; // the injected clock: far beyond every period so far
    await stack.db.pool.query(
      `UPDATE recordings SET retention = 'legal_hold', retention_reason = 'earlier tests', case_reference = 'x', delete_at = NULL WHERE state <> 'deleted'`,
    );
    const ids = [
      await newRecording('duisburg'),
      await newRecording('duisburg'),
      await newRecording('dortmund'),
    ];
    const held = await newRecording('duisburg');
    await api('supervisor', `/api/recordings/${held}/evidence`, {
      body: { reason: 'Körperverletzung', caseReference: 'Az. 9/26' },
    });
    const audit = createAuditLog({
      pool: stack.db.pool,
      signer: vault.signer,
      log: pino({ level: 'silent' }),
    });
    const base = {
      pool: stack.db.pool,
      store: localFolderStore(vault.env.VAULT_DIR),
      audit,
      log: pino({ level: 'silent' }),
      now: () => t0,
      batch: 10,
    };
    let calls = 0;
    const killing = createRetentionSweeper({
      ...base,
      onStep: (_id, step) => {
        if (step === 'key' && ++calls === 2) throw new Error('killed');
      },
    });
    await expect(killing.sweepOnce()).rejects.toThrow('killed');
    const mid = await stack.db.pool.query(
      `SELECT count(*)::int AS n FROM recordings WHERE state = 'deleted' AND id = ANY($1)`,
      [ids],
    );
    expect(mid.rows[0].n).toBe(0); // the batch rolled back; one key is already shredded on disk
    const r = await createRetentionSweeper(base).sweepOnce();
    expect(r.deleted).toBe(3);
    expect((await createRetentionSweeper(base).sweepOnce()).deleted).toBe(0);
    const { rows } = await stack.db.pool.query(
      'SELECT id, state, deletion_receipt FROM recordings WHERE id = ANY($1)',
      [[...ids, held]],
    );
    for (const row of rows) {
      if (row.id === held) expect(row.state).toBe('complete');
      else
        expect([row.state, JSON.parse(row.deletion_receipt).cause]).toEqual(['deleted', 'retention_expired']);
    }
    const del = await stack.db.pool.query(
      `SELECT target FROM audit_log WHERE action = 'recording_deleted' AND target = ANY($1)`,
      [ids.map((i) => `recording:${i}`)],
    );
    expect(del.rows.length).toBe(3);
    const heldPlay = await api('admin', `/api/recordings/${held}/playback`, {
      body: { reason: 'Beweissicherung prüfen' },
    });
    expect(heldPlay.status).toBe(200);
    const v = await verifyAuditChain(
      readAuditLog(stack.db.pool),
      await loadCheckpoints(stack.db.pool),
      (await import('@lagebild/vault')).verifierFromPem(vault.signer.publicKeyPem),
    );
    expect(v.ok).toBe(true);
  }, 60_000);
});
