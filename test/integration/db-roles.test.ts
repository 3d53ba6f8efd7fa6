/**
 * Issue 13, "an audit trail an insider cannot rewrite unseen", its first step: gateway and SFU
 * connect as the application role `lagebild_app` (migration 0012), which owns nothing. With its
 * credentials the audit log's triggers cannot be disabled, audit rows cannot be changed or removed,
 * and the schema cannot be changed; the owner (`stack.db`) is only for migrations, seed and tests.
 * Production mode refuses a connection that owns the audit tables.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureKeyringFile, ensureSigningKeyFile } from '@lagebild/vault';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionRefusal } from '../src/production-refusal.ts';
import { publishCamera, until } from '../src/sfu.ts';
import { type Stack, startStack } from '../src/stack.ts';

let dir: string;
let stack: Stack;
let app: pg.Client;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lagebild-db-roles-test-'));
  await mkdir(join(dir, 'keys'), { recursive: true });
  const vault = {
    VAULT_DIR: join(dir, 'vault'),
    VAULT_KEYRING_FILE: join(dir, 'keys', 'keyring.json'),
    VAULT_SIGNING_KEY_FILE: join(dir, 'keys', 'signing.pem'),
  };
  await ensureSigningKeyFile(vault.VAULT_SIGNING_KEY_FILE);
  stack = await startStack({
    sfu: true,
    devicesPerTenant: 2,
    gatewayEnv: { ...vault, RETENTION_SWEEP_MS: '0' },
  });
  await ensureKeyringFile(
    vault.VAULT_KEYRING_FILE,
    stack.tenants.map((t) => t.id),
  );
  app = new pg.Client({ connectionString: stack.appUrl, application_name: 'db-roles-test' });
  await app.connect();
}, 120_000);

afterAll(async () => {
  await app?.end();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** the SQLSTATE a statement fails with as the application role, or null if it succeeds */
async function refusal(sql: string): Promise<string | null> {
  await app.query('BEGIN');
  try {
    await app.query(sql);
    return null;
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  } finally {
    await app.query('ROLLBACK');
  }
}

describe('issue 13: the application role cannot rewrite the audit trail', () => {
  it('is a login role that is no superuser and owns no table', async () => {
    const { rows } = await app.query(
      `SELECT current_user AS who, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls,
              (SELECT count(*)::int FROM pg_class c WHERE pg_has_role(current_user, c.relowner, 'MEMBER')
                 AND c.relnamespace = 'public'::regnamespace) AS owned
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    expect(rows[0]).toEqual({
      who: 'lagebild_app',
      rolsuper: false,
      rolcreaterole: false,
      rolcreatedb: false,
      rolbypassrls: false,
      owned: 0,
    });
  });

  it('cannot disable the audit triggers, change or remove audit rows, truncate, or create tables', async () => {
    // privileges are checked before any row is read: refused whether or not entries exist
    const ownerOnly = '42501'; // insufficient_privilege ("must be owner of table audit_log")
    expect(await refusal('ALTER TABLE audit_log DISABLE TRIGGER ALL')).toBe(ownerOnly);
    expect(await refusal('ALTER TABLE audit_checkpoints DISABLE TRIGGER ALL')).toBe(ownerOnly);
    expect(await refusal("UPDATE audit_log SET actor = 'someone else'")).toBe(ownerOnly);
    expect(await refusal('DELETE FROM audit_log')).toBe(ownerOnly);
    expect(await refusal('DELETE FROM audit_checkpoints')).toBe(ownerOnly);
    expect(await refusal('TRUNCATE audit_log')).toBe(ownerOnly);
    expect(await refusal('TRUNCATE audit_checkpoints')).toBe(ownerOnly);
    expect(await refusal('CREATE TABLE shadow (x int)')).toBe(ownerOnly);
    expect(await refusal('DROP TRIGGER audit_log_append_only ON audit_log')).toBe(ownerOnly);
    expect(
      await refusal(
        'CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$',
      ),
    ).toBe(ownerOnly);
    // appends go through audit_append (migration 0013): no direct write to the log, the head or the
    // checkpoints, not even taking the head's lock
    expect(await refusal('SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE')).toBe(ownerOnly);
    expect(await refusal(`UPDATE audit_head SET hash = 'chosen' WHERE id = 1`)).toBe(ownerOnly);
    expect(
      await refusal(
        `INSERT INTO audit_log (seq, at, action, payload_hash, prev_hash, hash) VALUES (1000000, now(), 'login', 'p', 'prev', 'chosen')`,
      ),
    ).toBe(ownerOnly);
    expect(
      await refusal(
        `INSERT INTO audit_checkpoints (seq, hash, at, statement, signature, signing_key) VALUES (1000000, 'h', now(), '{}', 's', 'k')`,
      ),
    ).toBe(ownerOnly);
    expect(await refusal('DELETE FROM audit_anchors')).toBe(ownerOnly);
    expect(await refusal(`UPDATE audit_anchors SET tsa_reply = 'x'`)).toBe(ownerOnly);
    // pruning past the legal period runs with the owner's rights and is still bound by the trigger
    expect(await refusal('SELECT audit_prune_payloads()')).toBeNull();
  });

  it('appends through audit_append, which computes the hash; a hash or checkpoint of its choosing is refused', async () => {
    const { entryHash, payloadHash } = await import('@lagebild/audit');
    const payload = { note: 'ä "quoted"\n', n: 1 };
    const { rows } = await app.query(`SELECT * FROM audit_append($1::jsonb, $2)`, [
      JSON.stringify([
        {
          tenant: null,
          actor: 'user:x',
          action: 'login',
          target: null,
          reason: 'Grund\t1',
          recipient: null,
          payload: JSON.stringify({ n: 1, note: payload.note }),
          hash: 'chosen',
        },
      ]),
      1_700_000_000_123,
    ]);
    const r = rows[0];
    // the same bytes as chain.ts: the verifier recomputes exactly this hash
    const expected = entryHash({
      seq: Number(r.seq),
      tenantId: null,
      at: 1_700_000_000_123,
      actor: 'user:x',
      action: 'login',
      target: null,
      reason: 'Grund\t1',
      recipient: null,
      payloadHash: payloadHash(payload),
      prevHash: r.prev_hash,
    });
    expect(r.hash).toBe(expected);
    expect(r.hash).not.toBe('chosen');
    // a checkpoint must name an entry by its real hash (the signature is the gateway's business)
    const forged = JSON.stringify({
      at: 1,
      format: 'lagebild-audit-checkpoint/1',
      hash: 'f'.repeat(64),
      seq: Number(r.seq),
    });
    expect(await refusal(`SELECT audit_add_checkpoint(${Number(r.seq)}, 1, '${forged}', 'sig', 'key')`)).toBe(
      '22023',
    );
  });

  it('prunes payloads past the legal period through audit_prune_payloads, which runs as the owner', async () => {
    // an entry from two years ago, written as the owner outside the chain (nothing here verifies it)
    const seq = 900_000_001;
    await stack.db.pool.query(
      `INSERT INTO audit_log (seq, at, action, payload, payload_hash, prev_hash, hash)
       VALUES ($1, now() - interval '2 years', 'test_old', '{"x": 1}', 'p', 'prev', $2)`,
      [seq, `db-roles-${seq}`],
    );
    const { rows } = await app.query<{ n: string }>('SELECT audit_prune_payloads() AS n');
    expect(Number(rows[0]!.n)).toBeGreaterThanOrEqual(1);
    const after = await stack.db.pool.query('SELECT payload, hash FROM audit_log WHERE seq = $1', [seq]);
    expect(after.rows[0]).toEqual({ payload: null, hash: `db-roles-${seq}` });
  });

  it('gateway and SFU connect as lagebild_app', async () => {
    const tenant = stack.tenants[0]!;
    const device = tenant.devices[0]!;
    // the SFU opens its database connection when it records: publish one stream until its row exists
    const pub = await publishCamera(stack, tenant.id, device);
    try {
      await pub.connected(10_000);
      const sessions = async () =>
        (
          await stack.db.pool.query<{ application_name: string; usename: string }>(
            `SELECT application_name, usename FROM pg_stat_activity
              WHERE application_name LIKE 'lagebild-gateway%' OR application_name LIKE 'lagebild-sfu%'`,
          )
        ).rows;
      await until(
        async () => {
          const names = (await sessions()).map((s) => s.application_name);
          return names.some((n) => n.startsWith('lagebild-gateway')) && names.includes('lagebild-sfu');
        },
        20_000,
        'gateway and SFU database sessions',
      );
      const seen = await sessions();
      expect(seen.length).toBeGreaterThan(1);
      for (const s of seen) expect(s, s.application_name).toMatchObject({ usename: 'lagebild_app' });
      // the SFU may open its connection before the recording's row commits (it reads keys too)
      await until(
        async () =>
          (
            await stack.db.pool.query('SELECT count(*)::int AS n FROM recordings WHERE device_id = $1', [
              device.deviceId,
            ])
          ).rows[0].n > 0,
        20_000,
        'the recording row written by the SFU as lagebild_app',
      );
    } finally {
      await pub.close();
    }
  });
});

describe('issue 13: production mode refuses a connection that owns the audit tables', () => {
  it('names the owned tables and the application role instead', async () => {
    // a role with the owner's rights (a member of it), which is no superuser itself
    await stack.db.pool.query(`CREATE ROLE lb_owner_member LOGIN PASSWORD 'owner-member-1'`);
    const owner = new URL(stack.pg.url).username;
    await stack.db.pool.query(`GRANT "${owner}" TO lb_owner_member`);
    const url = new URL(stack.pg.url);
    url.username = 'lb_owner_member';
    url.password = 'owner-member-1';
    const refused = await productionRefusal(stack, url.toString());
    expect(refused).toMatch(
      /owns audit_checkpoints, audit_head, audit_log and could disable the audit triggers/,
    );
    expect(refused).not.toMatch(/superuser/);
  });
});
