/**
 * Issue 13, "an audit trail an insider cannot rewrite unseen": the gateway signs checkpoints, gets an
 * RFC 3161 token for each from the TSA (here the local `openssl ts` one) and appends checkpoint +
 * token to the append-only export target. An outside party checks one checkpoint with openssl
 * alone; a TSA outage delays anchoring but loses nothing; and a history rewritten by the database
 * owner and re-signed with the stolen signing key passes the database's own chain check but fails
 * `npm run verify -- audit` on the anchored checkpoints.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ANCHOR_FILE,
  appendAudit,
  CHECKPOINT_FORMAT,
  entryHash,
  loadAnchors,
  loadCheckpoints,
  readAuditLog,
  readExportTarget,
  verifyAuditChain,
} from '@lagebild/audit';
import { REPO_ROOT } from '@lagebild/infra/paths';
import { canonicalJson, ensureSigningKeyFile, signerFromPem, verifierFromPem } from '@lagebild/vault';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../src/clients.ts';
import { type Stack, startStack } from '../src/stack.ts';

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'packages/audit/src/cli.ts');
const METRICS_TOKEN = 'audit-anchoring-metrics-token-0123456789';

let dir: string;
let stack: Stack;
let app: pg.Pool;
let signingPem: string;
let pubFile: string;

const anchorFile = () => join(stack.anchorDir, ANCHOR_FILE);
const append = (n: number, tag: string) =>
  (async () => {
    for (let i = 0; i < n; i++)
      await appendAudit(app, {
        tenantId: stack.tenants[0]!.id,
        actor: 'user:anchoring-test',
        action: 'playback',
        target: `recording:${tag}-${i}`,
        reason: `Sichtung ${tag} ${i}`,
        payload: { i, tag },
      });
  })();
const headSeq = async () =>
  Number((await stack.db.pool.query('SELECT seq FROM audit_head WHERE id = 1')).rows[0].seq);
const pendingGauge = async () => {
  const text = await (
    await fetch(`${stack.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  ).text();
  return Number(/^lagebild_audit_anchors_pending\{[^}]*\} (\d+)$/m.exec(text)?.[1] ?? Number.NaN);
};
const cli = (...args: string[]) =>
  run(process.execPath, [CLI, 'audit', '--db', stack.pg.url, '--pubkey', pubFile, ...args], {
    env: { ...process.env, LB_DATA_DIR: dir },
  }).then(
    (o) => ({ code: 0, stdout: o.stdout }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout + e.stderr }),
  );
const cliAnchored = () => cli('--anchors', anchorFile(), '--tsa-ca', stack.tsa.caFile);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lagebild-anchoring-test-'));
  await mkdir(join(dir, 'keys'), { recursive: true });
  const signingFile = join(dir, 'keys', 'signing.pem');
  await ensureSigningKeyFile(signingFile);
  signingPem = await readFile(signingFile, 'utf8');
  pubFile = join(dir, 'keys', 'signing.pub.pem');
  await writeFile(pubFile, signerFromPem(signingPem).publicKeyPem);
  stack = await startStack({
    devicesPerTenant: 1,
    gatewayEnv: {
      VAULT_SIGNING_KEY_FILE: signingFile,
      AUDIT_ANCHOR_MS: '250',
      AUDIT_CHECKPOINT_EVERY: '5',
      AUDIT_CHECKPOINT_MS: '1000',
      METRICS_TOKEN,
    },
  });
  // the application role, as gateway and SFU connect
  app = new pg.Pool({ connectionString: stack.appUrl, max: 4 });
}, 120_000);

afterAll(async () => {
  await app?.end();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('issue 13: audit checkpoints anchored outside the database', () => {
  it('[AUD12] the gateway signs checkpoints and anchors each with an RFC 3161 token and the export target', async () => {
    await append(12, 'a');
    const head = await headSeq();
    await until(
      async () => (await loadAnchors(stack.db.pool)).some((a) => a.seq === head),
      20_000,
      'the head checkpointed and time-stamped',
    );
    const checkpoints = await loadCheckpoints(stack.db.pool);
    const anchors = await loadAnchors(stack.db.pool);
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    expect(anchors.map((a) => a.seq)).toEqual(checkpoints.map((c) => c.seq));
    for (const a of anchors)
      expect(a.genTime).toBeGreaterThanOrEqual(checkpoints.find((c) => c.seq === a.seq)!.at - 1000);
    const lines = await readExportTarget(anchorFile());
    expect(lines.map((l) => l.checkpoint.seq)).toEqual(checkpoints.map((c) => c.seq));

    const ok = await cliAnchored();
    expect(ok.stdout).toContain('audit log verified');
    expect(ok.stdout).toMatch(new RegExp(`checkpoints anchored: ${checkpoints.length} with a verified`));
    expect(ok.code).toBe(0);
  });

  it('[AUD13] an outside party checks one checkpoint with openssl alone (docs/keys-and-evidence.md)', async () => {
    const [line] = (await readExportTarget(anchorFile())).slice(-1);
    const d = join(dir, 'outside');
    await mkdir(d, { recursive: true });
    // the commands of docs/keys-and-evidence.md, "Audit anchoring", as written there
    await copyFile(anchorFile(), join(d, 'audit-anchors.jsonl'));
    await copyFile(stack.tsa.caFile, join(d, 'tsa-ca.pem'));
    await copyFile(pubFile, join(d, 'signing.pub.pem'));
    const sh = (cmd: string) =>
      run('bash', ['-c', cmd], { cwd: d }).then(
        (o) => ({ ok: true, out: o.stdout + o.stderr }),
        (e: { stdout: string; stderr: string }) => ({ ok: false, out: e.stdout + e.stderr }),
      );
    const extract = await sh(
      [
        'set -e',
        'tail -n 1 audit-anchors.jsonl > line.json',
        'jq -j .checkpoint.statement line.json > statement.json',
        'jq -r .checkpoint.signature line.json | base64 -d > statement.sig',
        'jq -r .anchor.tsaReply line.json | base64 -d > reply.tsr',
      ].join('\n'),
    );
    expect(extract.ok, extract.out).toBe(true);
    expect(await readFile(join(d, 'statement.json'), 'utf8')).toBe(line!.checkpoint.statement);
    const ts = await sh('openssl ts -verify -data statement.json -in reply.tsr -CAfile tsa-ca.pem');
    expect(ts.out).toContain('Verification: OK');
    const sig = await sh(
      'openssl pkeyutl -verify -pubin -inkey signing.pub.pem -rawin -in statement.json -sigfile statement.sig',
    );
    expect(sig.out).toMatch(/Signature Verified Successfully/);
    const text = await sh('openssl ts -reply -in reply.tsr -text');
    expect(text.out).toMatch(/Status: Granted/);
    expect(text.out).toMatch(/Time stamp: /);

    // a statement changed by one character fails the same command
    await writeFile(join(d, 'statement.json'), line!.checkpoint.statement.replace('"seq":', '"seq": '));
    const bad = await sh('openssl ts -verify -data statement.json -in reply.tsr -CAfile tsa-ca.pem');
    expect(bad.ok).toBe(false);
    expect(bad.out).not.toContain('Verification: OK');
  });

  it('[AUD14] a TSA outage delays anchoring, never an append, and loses nothing', async () => {
    const before = (await loadAnchors(stack.db.pool)).length;
    await stack.tsa.pause();
    const down = Date.now();
    await append(12, 'b'); // appends succeed while the TSA is down
    const head = await headSeq();
    await until(
      async () => (await loadCheckpoints(stack.db.pool)).some((c) => c.seq === head),
      20_000,
      'the head checkpointed during the outage',
    );
    await until(async () => (await pendingGauge()) >= 1, 10_000, 'lagebild_audit_anchors_pending >= 1');
    expect((await loadAnchors(stack.db.pool)).length).toBe(before);
    const waiting = await cliAnchored();
    expect(waiting.code).toBe(0); // waiting is not a failure
    expect(waiting.stdout).toMatch(/[1-9]\d* waiting for one/);

    await stack.tsa.resume();
    const up = Date.now();
    await until(async () => (await pendingGauge()) === 0, 20_000, 'lagebild_audit_anchors_pending back to 0');
    const checkpoints = await loadCheckpoints(stack.db.pool);
    const anchors = await loadAnchors(stack.db.pool);
    expect(anchors.map((a) => a.seq)).toEqual(checkpoints.map((c) => c.seq));
    const late = anchors.filter((a) => checkpoints.find((c) => c.seq === a.seq)!.at >= down);
    expect(late.length).toBeGreaterThanOrEqual(1);
    // stamped after the TSA came back (its clock has whole seconds)
    for (const a of late) expect(a.genTime).toBeGreaterThanOrEqual(Math.floor(up / 1000) * 1000 - 1000);
    expect((await readExportTarget(anchorFile())).map((l) => l.checkpoint.seq)).toEqual(
      checkpoints.map((c) => c.seq),
    );
    expect((await cliAnchored()).code).toBe(0);
  });

  it('[AUD15] a history rewritten by the database owner and re-signed with the stolen key fails on the anchored checkpoints', async () => {
    // the gateway stops, so nothing signs a new head while the insider works
    for (const g of stack.gateways) await g.stop();
    const owner = await stack.db.pool.connect();
    const stolen = signerFromPem(signingPem);
    const target = 7;
    try {
      await owner.query('BEGIN');
      for (const t of ['audit_log', 'audit_checkpoints', 'audit_anchors'])
        await owner.query(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
      // change one entry, recompute every later hash
      const entries = [];
      for await (const e of readAuditLog(owner)) entries.push(e);
      let prev = entries[target - 2]!.hash;
      for (const e of entries.slice(target - 1)) {
        if (e.seq === target) e.reason = 'Routinekontrolle';
        e.prevHash = prev;
        e.hash = entryHash(e);
        prev = e.hash;
        await owner.query('UPDATE audit_log SET reason = $2, prev_hash = $3, hash = $4 WHERE seq = $1', [
          e.seq,
          e.reason,
          e.prevHash,
          e.hash,
        ]);
      }
      await owner.query('UPDATE audit_head SET hash = $1 WHERE id = 1', [prev]);
      // re-sign every checkpoint from the rewritten entry on with the stolen key
      for (const cp of await loadCheckpoints(owner)) {
        if (cp.seq < target) continue;
        const hash = entries.find((e) => e.seq === cp.seq)!.hash;
        const statement = canonicalJson({ format: CHECKPOINT_FORMAT, seq: cp.seq, hash, at: cp.at });
        await owner.query(
          'UPDATE audit_checkpoints SET hash = $2, statement = $3, signature = $4 WHERE seq = $1',
          [cp.seq, hash, statement, stolen.sign(statement).toString('base64')],
        );
      }
      for (const t of ['audit_log', 'audit_checkpoints', 'audit_anchors'])
        await owner.query(`ALTER TABLE ${t} ENABLE TRIGGER USER`);
      await owner.query('COMMIT');
    } catch (err) {
      await owner.query('ROLLBACK');
      throw err;
    } finally {
      owner.release();
    }
    const verifier = verifierFromPem(stolen.publicKeyPem);
    // the database alone is consistent again: the chain and the re-signed checkpoints verify
    const inside = await verifyAuditChain(
      readAuditLog(stack.db.pool),
      await loadCheckpoints(stack.db.pool),
      verifier,
    );
    expect(inside.ok).toBe(true);
    const firstAnchored = Math.min(
      ...(await loadAnchors(stack.db.pool)).map((a) => a.seq).filter((s) => s >= target),
    );

    // the tokens, dated before the rewrite, cover the old statements
    const r1 = await cliAnchored();
    expect(r1.code).toBe(1);
    expect(r1.stdout).toContain(`database checkpoint ${firstAnchored}: its RFC 3161 token does not cover it`);
    expect(r1.stdout).toContain(
      `database checkpoint ${firstAnchored} differs from the one anchored in the export target`,
    );
    // and the export target's checkpoints name the rewritten entry
    expect(r1.stdout).toMatch(
      new RegExp(`entry differs from what external checkpoint ${firstAnchored} signed`),
    );

    // the insider also removes the tokens: the export target still has them
    const owner2 = await stack.db.pool.connect();
    try {
      await owner2.query('ALTER TABLE audit_anchors DISABLE TRIGGER USER');
      await owner2.query('DELETE FROM audit_anchors WHERE seq >= $1', [target]);
      await owner2.query('ALTER TABLE audit_anchors ENABLE TRIGGER USER');
    } finally {
      owner2.release();
    }
    const r2 = await cliAnchored();
    expect(r2.code).toBe(1);
    expect(r2.stdout).toContain(
      `database checkpoint ${firstAnchored} differs from the one anchored in the export target`,
    );
  });
});
