/**
 * Issue 13, key custody: deletion that holds against backups. Recordings are wrapped under a
 * key-encryption key of their deletion day inside a SoftHSM2 token; a backup of the vault folder and
 * a logical copy of the whole database are taken before the sweeper runs; afterwards the day's key
 * is gone from the token and nothing left (the copies, the token's other keys) opens the backup.
 * A recording kept as evidence is re-wrapped under the tenant's evidence key first (audited) and
 * stays readable. Production mode refuses the development key files; a missing PKCS#11 module stops
 * the gateway with a message naming it. docs/rules.md (KC) and docs/keys-and-evidence.md cite these tests by tag.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createAuditLog, createRetentionSweeper } from '@lagebild/gateway/recordings';
import { GATEWAY_ENTRY, REPO_ROOT } from '@lagebild/infra/paths';
import { spawnService } from '@lagebild/infra/process';
import {
  dayKekId,
  localFolderStore,
  makeTestVideo,
  openRecording,
  readWrappedKey,
  VaultError,
  type WrappedKey,
} from '@lagebild/vault';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from '../src/clients.ts';
import { DEMO_PASSWORD, type Stack, startStack } from '../src/stack.ts';
import { type TestVault, testVault } from '../src/test-vault.ts';

const DAY = 86_400_000;
let dir: string;
let stack: Stack;
let vault: TestVault;
let videoPath: string;
let tenantId: string;
let supervisor: string;

async function newRecording(startedAt: number): Promise<string> {
  const t = stack.tenants.find((x) => x.slug === 'duisburg')!;
  return vault.importRecording(stack, {
    tenantId: t.id,
    deviceId: t.devices[0]!.deviceId,
    file: videoPath,
    startedAt,
    stoppedAt: startedAt + 2000,
  });
}

/** every table of the database as JSON lines: what a pg_dump or a snapshot of it would hold */
async function databaseCopy(): Promise<string> {
  const { rows: tables } = await stack.db.pool.query<{ t: string }>(
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  const out: string[] = [];
  for (const { t } of tables) {
    const { rows } = await stack.db.pool.query(`SELECT row_to_json(x)::text AS j FROM "${t}" x`);
    for (const r of rows) out.push(`${t}\t${r.j}`);
  }
  return out.join('\n');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lagebild-key-custody-'));
  videoPath = join(dir, 'source.webm');
  await makeTestVideo(videoPath, { seconds: 2 });
  vault = await testVault(dir);
  stack = await startStack({ devicesPerTenant: 1, gatewayEnv: { ...vault.env, RETENTION_SWEEP_MS: '0' } });
  tenantId = stack.tenants.find((x) => x.slug === 'duisburg')!.id;
  supervisor = await login(stack.url, 'duisburg.supervisor', DEMO_PASSWORD);
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  vault?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('issue 13: deletion that holds against backups', () => {
  it('[KC1][KC2][KC3] after the sweep the day key is gone from the token; backups of the vault and the database open nothing', async () => {
    const { rows: policy } = await stack.db.pool.query<{ d: number }>(
      'SELECT retention_days AS d FROM tenants WHERE id = $1',
      [tenantId],
    );
    // two recordings due on the same past day, one due the day after, one kept as evidence
    const start = Date.now() - (policy[0]!.d + 5) * DAY;
    const a = await newRecording(start);
    const b = await newRecording(start + 60_000);
    const later = await newRecording(start + DAY);
    const kept = await newRecording(start + 120_000);
    const store = localFolderStore(vault.env.VAULT_DIR);
    const { rows } = await stack.db.pool.query<{ id: string; kek_id: string; delete_at: Date }>(
      'SELECT id, kek_id, delete_at FROM recordings WHERE id = ANY($1)',
      [[a, b, later, kept]],
    );
    const day = dayKekId(rows.find((r) => r.id === a)!.delete_at.getTime());
    const kek = Object.fromEntries(rows.map((r) => [r.id, r.kek_id]));
    expect(kek).toEqual({ [a]: day, [b]: day, [kept]: day, [later]: expect.not.stringMatching(day) });
    expect((await readWrappedKey(store, tenantId, a)).kekId).toBe(day);

    // [KC3] kept as evidence: re-wrapped under the tenant's evidence key, in the same transaction
    const keptBeforeKeep = await readWrappedKey(store, tenantId, kept);
    const res = await fetch(`${stack.url}/api/recordings/${kept}/evidence`, {
      method: 'POST',
      headers: { cookie: supervisor, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'Widerstand gegen Vollstreckungsbeamte', caseReference: 'Az. 13/26' }),
    });
    expect(res.status).toBe(200);
    expect((await readWrappedKey(store, tenantId, kept)).kekId).toMatch(/^evidence-\d+$/);
    const { rows: rewrap } = await stack.db.pool.query(
      `SELECT l.payload, r.kek_id FROM audit_log l JOIN recordings r ON l.target = 'recording:' || r.id::text
        WHERE l.action = 'recording_rewrapped' AND r.id = $1`,
      [kept],
    );
    expect(rewrap).toHaveLength(1);
    expect(rewrap[0].payload).toMatchObject({ from: day, to: rewrap[0].kek_id });

    // the backups: the vault folder and the whole database, before deletion
    const backup = join(dir, 'backup-vault');
    await cp(vault.env.VAULT_DIR, backup, { recursive: true });
    const dbCopy = await databaseCopy();
    const backupStore = localFolderStore(backup);
    const wrappedA: WrappedKey = await readWrappedKey(backupStore, tenantId, a);
    const dataKeyA = vault.keyring.unwrap(wrappedA, { tenantId, recordingId: a });
    // the database copy holds which key, never a key: no wrapped or plain data key in it
    expect(dbCopy).toContain(a);
    expect(dbCopy).not.toContain(wrappedA.wrapped);
    expect(dbCopy).not.toContain(dataKeyA.toString('base64'));
    expect(dbCopy).not.toContain(dataKeyA.toString('hex'));
    // the backup opens while the day key exists
    expect(
      (await openRecording({ store: backupStore, keyring: vault.keyring, tenantId, recordingId: a })).size,
    ).toBeGreaterThan(0);

    const sweeper = createRetentionSweeper({
      pool: stack.db.pool,
      store,
      keys: vault.keyring,
      audit: createAuditLog({ pool: stack.db.pool, signer: vault.signer, log: pino({ level: 'silent' }) }),
      log: pino({ level: 'silent' }),
    });
    const swept = await sweeper.sweepOnce();
    expect(swept.deleted).toBe(3);
    expect(swept.keysDestroyed).toBe(2); // a's and b's day, and later's day

    // [KC1] the day key no longer exists in the token; the deletion is recorded and audited
    const left = vault.keyring.inventory().filter((k) => k.tenantId === tenantId);
    expect(left.map((k) => k.kekId)).not.toContain(day);
    expect(left.some((k) => k.kind === 'evidence')).toBe(true);
    const { rows: destroyed } = await stack.db.pool.query(
      'SELECT kek_id FROM destroyed_keys WHERE tenant_id = $1 ORDER BY kek_id',
      [tenantId],
    );
    expect(destroyed.map((r) => r.kek_id)).toContain(day);
    const { rows: audited } = await stack.db.pool.query(
      `SELECT payload FROM audit_log WHERE action = 'key_destroyed' AND tenant_id = $1`,
      [tenantId],
    );
    expect(audited.map((r) => r.payload.kekId)).toContain(day);

    // [KC2] the backups open with nothing that is left: not the token's day key (gone), not any other
    // key of the token (day, evidence: GCM authentication fails), for every backed-up recording
    for (const id of [a, b, later]) {
      await expect(
        openRecording({ store: backupStore, keyring: vault.keyring, tenantId, recordingId: id }),
      ).rejects.toMatchObject({
        code: 'shredded',
      });
      const w = await readWrappedKey(backupStore, tenantId, id);
      for (const other of left) {
        expect(() =>
          vault.keyring.unwrap({ ...w, kekId: other.kekId }, { tenantId, recordingId: id }),
        ).toThrow(VaultError);
      }
    }
    // the kept recording's key.json from before the keep (under the destroyed day key) opens no more,
    // but the recording itself, now under the evidence key, does
    expect(() => vault.keyring.unwrap(keptBeforeKeep, { tenantId, recordingId: kept })).toThrow(
      /not in the token/,
    );
    expect(
      (await openRecording({ store, keyring: vault.keyring, tenantId, recordingId: kept })).size,
    ).toBeGreaterThan(0);
    expect(await readFile(join(vault.env.VAULT_DIR, tenantId, a, 'key.json')).catch(() => null)).toBeNull();
  });
});

describe('issue 13: a recording kept longer moves to the key of its new day', () => {
  const post = (cookie: string, path: string, body: unknown) =>
    fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  /** a four-eyes request by the supervisor, approved by the admin (at least the asker's rank) */
  async function approved(id: string, body: Record<string, unknown>): Promise<void> {
    const admin = await login(stack.url, 'duisburg.admin', DEMO_PASSWORD);
    const req = await post(supervisor, `/api/recordings/${id}/approvals`, body);
    expect([201, 202]).toContain(req.status);
    const { id: approval } = (await req.json()) as { id: string };
    const res = await post(admin, `/api/recording-approvals/${approval}/decision`, {
      approve: true,
      reason: 'bestätigt',
    });
    expect(res.status).toBe(200);
  }
  const state = async (id: string) => {
    const { rows } = await stack.db.pool.query<{ kek_id: string; delete_at: Date | null }>(
      'SELECT kek_id, delete_at FROM recordings WHERE id = $1',
      [id],
    );
    const store = localFolderStore(vault.env.VAULT_DIR);
    return { row: rows[0]!, file: (await readWrappedKey(store, tenantId, id)).kekId };
  };
  const rewraps = async (id: string) =>
    (
      await stack.db.pool.query(
        `SELECT payload FROM audit_log WHERE action = 'recording_rewrapped' AND target = $1 ORDER BY seq`,
        [`recording:${id}`],
      )
    ).rows.map((r) => r.payload);

  it('[KC3] an approved extension re-wraps under the later day, a release from evidence under its normal day', async () => {
    const id = await newRecording(Date.now());
    const before = await state(id);
    expect(before.file).toBe(before.row.kek_id);
    await approved(id, { action: 'extension', extendDays: 5, reason: 'noch in Prüfung' });
    const extended = await state(id);
    expect(extended.row.delete_at!.getTime() - before.row.delete_at!.getTime()).toBe(5 * DAY);
    expect(extended.file).toBe(dayKekId(extended.row.delete_at!.getTime()));
    expect(extended.row.kek_id).toBe(extended.file);
    expect(await rewraps(id)).toEqual([
      { from: before.file, to: extended.file, deleteAt: extended.row.delete_at!.getTime() },
    ]);

    const kept = await post(supervisor, `/api/recordings/${id}/evidence`, {
      reason: 'Beleidigung',
      caseReference: 'Az. 14/26',
    });
    expect(kept.status).toBe(200);
    expect((await state(id)).file).toMatch(/^evidence-\d+$/);
    await approved(id, { action: 'release', reason: 'Verfahren eingestellt' });
    const released = await state(id);
    expect(released.file).toBe(dayKekId(released.row.delete_at!.getTime()));
    expect(released.row.kek_id).toBe(released.file);
    expect((await rewraps(id)).map((p) => p.to)).toEqual([
      extended.file,
      expect.stringMatching(/^evidence-/),
      released.file,
    ]);
    const store = localFolderStore(vault.env.VAULT_DIR);
    expect(
      (await openRecording({ store, keyring: vault.keyring, tenantId, recordingId: id })).size,
    ).toBeGreaterThan(0);
  });
});

describe('issue 13: keys only in an HSM in production', () => {
  const gateway = (env: Record<string, string>) =>
    spawnService({
      name: 'gateway-production',
      entry: GATEWAY_ENTRY,
      env: {
        HOST: '127.0.0.1',
        PORT: '0',
        DATABASE_URL: stack.pg.url,
        REDIS_URL: stack.redis.url,
        LAGEBILD_ENV: 'production',
        COOKIE_SECURE: 'true',
        TRUST_PROXY: '127.0.0.1',
        LOG_LEVEL: 'warn',
        ...env,
      },
      readyTimeoutMs: 20_000,
    }).then(
      async (svc) => {
        await svc.stop();
        return null;
      },
      (e: Error) => e.message,
    );

  it('[KC4] production mode refuses the development keyring and key files, and a gateway without a token', async () => {
    const refusal = await gateway({
      VAULT_DIR: join(dir, 'vault'),
      VAULT_KEYRING_FILE: join(dir, 'keyring.json'),
      VAULT_SIGNING_KEY_FILE: join(dir, 'signing.pem'),
    });
    expect(refusal).toMatch(/VAULT_KEYRING_FILE.*development option/);
    expect(refusal).toMatch(/VAULT_SIGNING_KEY_FILE.*development option/);
    expect(refusal).toMatch(/HSM_TOKEN_LABEL.*required in production/);
  });

  it('[KC5] a missing PKCS#11 module stops the gateway with a message naming it', async () => {
    // development mode: production would refuse the test's superuser connection first
    const refusal = await gateway({
      ...vault.env,
      LAGEBILD_ENV: 'development',
      HSM_MODULE: join(dir, 'no-such-pkcs11.so'),
    });
    expect(refusal).toMatch(/PKCS#11 module .*no-such-pkcs11\.so is missing/);
  });
});

describe('issue 13: npm run keys', () => {
  const keys = (...args: string[]) =>
    promisify(execFile)(process.execPath, [join(REPO_ROOT, 'gateway/src/keys/keys-cli.ts'), ...args], {
      env: { ...process.env, ...vault.env, DATABASE_URL: stack.appUrl },
    });

  it("[KC6] lists each tenant's keys with the recordings they wrap, and rotates the evidence key, audited", async () => {
    const id = await newRecording(Date.now());
    const { rows } = await stack.db.pool.query('SELECT kek_id FROM recordings WHERE id = $1', [id]);
    const before = JSON.parse((await keys('list', '--json')).stdout);
    const mine = before.tenants.find((t: { tenantId: string }) => t.tenantId === tenantId);
    const { rows: wrapped } = await stack.db.pool.query(
      `SELECT count(*)::int AS n FROM recordings WHERE kek_id = $1 AND tenant_id = $2 AND state <> 'deleted'`,
      [rows[0].kek_id, tenantId],
    );
    expect(wrapped[0].n).toBeGreaterThan(0);
    expect(mine.keys).toContainEqual(
      expect.objectContaining({ kekId: rows[0].kek_id, kind: 'day', recordings: wrapped[0].n }),
    );
    expect(before.signingKeys.map((k: { fingerprint: string }) => k.fingerprint)).toContain(
      vault.signer.fingerprint,
    );
    const current = mine.keys.find((k: { current: boolean }) => k.current).kekId as string;

    const out = (await keys('rotate', 'evidence', 'duisburg')).stdout;
    const next = `evidence-${Number(current.split('-')[1]) + 1}`;
    expect(out).toContain(next);
    expect(vault.keyring.kekIdFor(tenantId, null)).toBe(next);
    const { rows: audited } = await stack.db.pool.query(
      `SELECT payload FROM audit_log WHERE action = 'key_rotated' AND tenant_id = $1`,
      [tenantId],
    );
    expect(audited.at(-1)?.payload).toMatchObject({ kind: 'evidence', previous: current, current: next });
    const text = (await keys('list')).stdout;
    expect(text).toMatch(new RegExp(`${next}\\s+evidence .*\\(current evidence key\\)`));
  });
});
