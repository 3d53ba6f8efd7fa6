/**
 * Issue #6, audit log: the database refuses UPDATE/DELETE/TRUNCATE, concurrent appenders keep one
 * chain, checkpoints are signed, pruning keeps the chain verifiable, and a tampered dump or table is
 * caught with the first bad entry named (also through `npm run verify -- audit`).
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  appendAudit,
  checkpointIfDue,
  checkpointNow,
  exportAuditJsonl,
  loadCheckpoints,
  parseAuditJsonl,
  pruneAuditPayloads,
  readAuditLog,
  verifyAuditChain,
} from '@lagebild/audit';
import { migrate } from '@lagebild/db/migrate';
import { REPO_ROOT } from '@lagebild/infra/paths';
import { type PostgresHandle, startPostgres } from '@lagebild/infra/postgres';
import { generateSigningPem, signerFromPem, verifierFromPem } from '@lagebild/vault';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
let dir: string;
let pgh: PostgresHandle;
let pool: pg.Pool;
const signer = signerFromPem(generateSigningPem());
const verifier = verifierFromPem(signer.publicKeyPem);
const TENANT = '00000000-0000-4000-8000-000000000001';

const verifyDb = async () => verifyAuditChain(readAuditLog(pool), await loadCheckpoints(pool), verifier);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lagebild-audit-'));
  await chmod(dir, 0o755);
  // the CLI must not find `npm start`'s export target and TSA under the repository's .data
  process.env.LB_DATA_DIR = dir;
  pgh = await startPostgres({ dataDir: join(dir, 'pg') });
  await migrate(pgh.url);
  pool = new pg.Pool({ connectionString: pgh.url, max: 8 });
  pool.on('error', () => {});
});
afterAll(async () => {
  await pool?.end();
  await pgh?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('audit log', () => {
  it('[AUD1][AUD5] keeps one chain under concurrent appenders and signs checkpoints', async () => {
    // the gateway's checkpoint job (issue 13: appenders never sign) runs while they append
    let appending = true;
    const checkpointer = (async () => {
      while (appending) {
        await checkpointIfDue(pool, signer, { every: 10 });
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await Promise.all(
      Array.from({ length: 8 }, (_, w) =>
        (async () => {
          for (let i = 0; i < 10; i++) {
            await appendAudit(pool, {
              tenantId: TENANT,
              actor: `user:${w}`,
              action: 'playback',
              target: `recording:${w}-${i}`,
              reason: 'Sichtung für Anzeige',
              payload: { worker: w, i, note: 'ä\u0000' },
            });
          }
        })(),
      ),
    );
    appending = false;
    await checkpointer;
    await checkpointNow(pool, signer);
    const r = await verifyDb();
    expect(r).toMatchObject({ ok: true, entries: 80, headSeq: 80 });
    expect(r.checkpoints).toBeGreaterThanOrEqual(2);
    expect((await loadCheckpoints(pool)).at(-1)?.seq).toBe(80);
  });

  it('[AUD4] refuses UPDATE, DELETE and TRUNCATE through SQL', async () => {
    await expect(pool.query(`UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 3`)).rejects.toThrow(
      /append-only/,
    );
    await expect(pool.query('DELETE FROM audit_log WHERE seq = 3')).rejects.toThrow(/append-only/);
    await expect(pool.query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
    await expect(pool.query('UPDATE audit_log SET payload = NULL WHERE seq = 3')).rejects.toThrow(
      /append-only/,
    );
    await expect(pool.query('DELETE FROM audit_checkpoints')).rejects.toThrow(/append-only/);
    // the application role may only read, and append through audit_append (issue 13)
    const { rows } = await pool.query(
      `SELECT has_table_privilege('lagebild_app', 'audit_log', 'UPDATE') AS u, has_table_privilege('lagebild_app', 'audit_log', 'DELETE') AS d, has_table_privilege('lagebild_app', 'audit_log', 'INSERT') AS i, has_function_privilege('lagebild_app', 'audit_append(jsonb, bigint)', 'EXECUTE') AS x`,
    );
    expect(rows[0]).toEqual({ u: false, d: false, i: false, x: true });
  });

  it('[AUD6] names the first bad entry in a tampered dump', async () => {
    const lines: string[] = [];
    for await (const l of exportAuditJsonl(pool)) lines.push(l);
    const dump = parseAuditJsonl(lines.join(''));
    expect((await verifyAuditChain(dump.entries, dump.checkpoints, verifier)).ok).toBe(true);

    const edited = structuredClone(dump);
    edited.entries[41]!.reason = 'harmloser Grund';
    const r1 = await verifyAuditChain(edited.entries, edited.checkpoints, verifier);
    expect(r1.firstBad).toEqual({ seq: 42, problem: 'entry was changed (hash mismatch)' });

    const dropped = structuredClone(dump);
    dropped.entries.splice(16, 1);
    expect((await verifyAuditChain(dropped.entries, dropped.checkpoints, verifier)).firstBad?.seq).toBe(18);

    const payload = structuredClone(dump);
    payload.entries[4]!.payload = { worker: 99 };
    expect((await verifyAuditChain(payload.entries, payload.checkpoints, verifier)).firstBad).toEqual({
      seq: 5,
      problem: 'payload was changed (payload hash mismatch)',
    });

    // a forger who recomputes every hash from entry 30 on still fails against the signed checkpoints
    const { entryHash } = await import('@lagebild/audit');
    const rewritten = structuredClone(dump);
    let prev = rewritten.entries[28]!.hash;
    for (const e of rewritten.entries.slice(29)) {
      if (e.seq === 30) e.actor = 'user:nobody';
      e.prevHash = prev;
      e.hash = entryHash(e);
      prev = e.hash;
    }
    const r2 = await verifyAuditChain(rewritten.entries, rewritten.checkpoints, verifier);
    // the first checkpoint at or after the rewritten entry catches it (the job's timing decides which)
    const caught = Math.min(...rewritten.checkpoints.map((c) => c.seq).filter((s) => s >= 30));
    expect(r2.firstBad?.seq).toBe(caught);
    expect(r2.firstBad?.problem).toMatch(new RegExp(`checkpoint ${caught}`));

    // the CLI, on a file, says the same and exits 1
    const file = join(dir, 'audit.jsonl');
    const pub = join(dir, 'pub.pem');
    await writeFile(pub, signer.publicKeyPem);
    await writeFile(
      file,
      [
        ...edited.checkpoints.map((c) => JSON.stringify({ checkpoint: c })),
        ...edited.entries.map((e) => JSON.stringify({ entry: e })),
      ].join('\n'),
    );
    const cli = join(REPO_ROOT, 'packages/audit/src/cli.ts');
    const out = await run(process.execPath, [cli, 'audit', '--file', file, '--pubkey', pub]).catch((e) => e);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain('first bad entry is seq 42');
  });

  it('[AUD6] detects a row changed in the table behind the trigger, via npm run verify -- audit', async () => {
    const pub = join(dir, 'pub.pem');
    await writeFile(pub, signer.publicKeyPem);
    const cli = join(REPO_ROOT, 'packages/audit/src/cli.ts');
    const good = await run(process.execPath, [cli, 'audit', '--db', pgh.url, '--pubkey', pub]);
    expect(good.stdout).toContain('audit log verified: 80 entries');
    const c = await pool.connect();
    try {
      await c.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      await c.query(`UPDATE audit_log SET target = 'recording:other' WHERE seq = 57`);
      await c.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
    } finally {
      c.release();
    }
    const bad = await run(process.execPath, [cli, 'audit', '--db', pgh.url, '--pubkey', pub]).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('first bad entry is seq 57');
  });

  it('[AUD7] prunes payloads only after the legal period and the chain still verifies', async () => {
    // an entry from two years ago, written through the appender with an injected clock
    const old = new Date();
    old.setFullYear(old.getFullYear() - 2);
    const fresh = await pgFreshLog();
    await appendAudit(
      fresh,
      { tenantId: TENANT, actor: 'user:a', action: 'export', recipient: 'StA', payload: { x: 1 } },
      () => old.getTime(),
    );
    await appendAudit(fresh, { tenantId: TENANT, actor: 'user:a', action: 'playback', payload: { y: 2 } });
    expect(await pruneAuditPayloads(fresh)).toBe(1);
    expect(await pruneAuditPayloads(fresh)).toBe(0); // nothing left, nothing recorded
    const { rows } = await fresh.query('SELECT seq, action, payload FROM audit_log ORDER BY seq');
    expect(rows.map((r) => [Number(r.seq), r.action, r.payload])).toEqual([
      [1, 'export', null],
      [2, 'playback', { y: 2 }],
      [3, 'audit_pruned', { entries: 1 }],
    ]);
    const r = await verifyAuditChain(readAuditLog(fresh), await loadCheckpoints(fresh), verifier);
    expect(r).toMatchObject({ ok: true, entries: 3, pruned: 1 });
    await checkpointNow(fresh, signer);
    expect((await loadCheckpoints(fresh)).at(-1)?.seq).toBe(3);
    await fresh.end();
  });
});

/** A second database with a fresh log, so the pruning test controls every entry. */
async function pgFreshLog(): Promise<pg.Pool> {
  await pool.query('CREATE DATABASE audit_prune');
  const url = pgh.url.replace(/\/[^/]+$/, '/audit_prune');
  await migrate(url);
  const p = new pg.Pool({ connectionString: url, max: 2 });
  p.on('error', () => {});
  return p;
}
