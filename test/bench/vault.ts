/**
 * `npm run bench:vault -- [--mb 512] [--recordings 100000] [--audit 20000] [--json]`
 *
 * Issue #6's vault benchmark, all measured in this run on this machine:
 * - `openssl speed -evp aes-256-gcm` (16 KiB blocks, one core) as the reference, and Node's own raw
 *   AES-256-GCM on 64 KiB chunks (the ceiling any Node code can reach);
 * - encryption: the recording writer (the recorder's path: chunked AEAD, SHA-256 of plaintext, of
 *   every segment and of the whole ciphertext, segment fsync) into a local folder store;
 * - decryption: openRecording().readAll() (the playback path, every chunk authenticated);
 * - the retention sweeper on N expired recordings (real PostgreSQL: rows generated in SQL, one small
 *   sealed ciphertext per recording written by the real writer), with crypto-shredding, signed
 *   receipts and one audit entry each;
 * - audit append rate (one entry per transaction, as the gateway appends them).
 * The last stdout line with --json is one JSON object.
 */
import { execFile } from 'node:child_process';
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { appendAudit } from '@lagebild/audit';
import { openDb } from '@lagebild/db';
import { migrate } from '@lagebild/db/migrate';
import { seedDemo } from '@lagebild/db/seed';
import { createAuditLog, createRetentionSweeper } from '@lagebild/gateway/recordings';
import { startPostgres } from '@lagebild/infra/postgres';
import {
  createKeyring,
  createRecordingWriter,
  emptyKeyringFile,
  ensureTenants,
  generateSigningPem,
  type Keyring,
  localFolderStore,
  openRecording,
  signerFromPem,
  type VaultStore,
} from '@lagebild/vault';
import pino from 'pino';
import { z } from 'zod';
import { parseArgs } from './args.ts';

const Args = z.object({
  mb: z.coerce.number().int().min(16).max(8192).default(512),
  recordings: z.coerce.number().int().min(0).max(1_000_000).default(100_000),
  audit: z.coerce.number().int().min(0).max(1_000_000).default(20_000),
  json: z.boolean().default(false),
});
const args = parseArgs(Args, 'bench:vault -- [--mb 512] [--recordings 100000] [--audit 20000] [--json]');
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const run = promisify(execFile);
const MB = 1e6;
const GOAL_SHARE = 0.7;

/** openssl's 16384-byte column, in MB/s (openssl's "k" is 1000 bytes). */
async function opensslGcmMBps(): Promise<number> {
  const { stdout } = await run('openssl', ['speed', '-evp', 'aes-256-gcm', '-seconds', '2'], {
    maxBuffer: 1 << 20,
  });
  const line = stdout.split('\n').find((l) => /^AES-256-GCM\s/i.test(l));
  const last = line?.trim().split(/\s+/).at(-1);
  if (!last?.endsWith('k')) throw new Error(`cannot read openssl speed output:\n${stdout}`);
  return Number.parseFloat(last) / 1000;
}

/**
 * Wall and CPU seconds of this process. `openssl speed` divides by CPU user time unless -elapsed is
 * given, so the CPU-time figures are the comparable ones (and they stay meaningful on a loaded box).
 */
function clock() {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return { wallS: (performance.now() - t0) / 1000, cpuS: (c.user + c.system) / 1e6 };
  };
}

function nodeRawGcmMBps(seconds = 2): number {
  const key = randomBytes(32);
  const chunk = randomBytes(64 * 1024);
  const nonce = Buffer.alloc(12);
  let bytes = 0;
  const t0 = performance.now();
  const elapsed = clock();
  let i = 0;
  while (performance.now() - t0 < seconds * 1000) {
    nonce.writeUInt32BE(i++, 8);
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.update(chunk);
    c.final();
    c.getAuthTag();
    bytes += chunk.length;
  }
  return bytes / MB / elapsed().cpuS;
}

function testKeyring(tenantId: string): Keyring {
  const file = emptyKeyringFile();
  ensureTenants(file, [tenantId]);
  return createKeyring(file);
}

async function encryptDecrypt(work: string) {
  const store = localFolderStore(join(work, 'vault'));
  const tenantId = randomUUID();
  const keyring = testKeyring(tenantId);
  const signer = signerFromPem(generateSigningPem());
  const recordingId = randomUUID();
  const total = args.mb * MB;
  // what ffmpeg's stdout delivers through a pipe: 256 KiB reads; varied content so nothing is special
  const piece = randomBytes(256 * 1024);
  const writer = await createRecordingWriter({
    store,
    keyring,
    signer,
    recordingId,
    tenantId,
    deviceId: randomUUID(),
  });
  const encClock = clock();
  let written = 0;
  while (written < total) {
    const n = Math.min(piece.length, total - written);
    await writer.write(n === piece.length ? piece : piece.subarray(0, n));
    written += n;
  }
  await writer.seal();
  const enc = encClock();

  const decClock = clock();
  const rec = await openRecording({ store, keyring, tenantId, recordingId });
  let read = 0;
  for await (const b of rec.readAll()) read += (b as Buffer).length;
  const dec = decClock();
  if (read !== written) throw new Error(`decrypted ${read} bytes of ${written}`);
  return {
    encryptMBps: written / MB / enc.cpuS,
    decryptMBps: read / MB / dec.cpuS,
    encryptWallMBps: written / MB / enc.wallS,
    decryptWallMBps: read / MB / dec.wallS,
  };
}

/** N expired `standard` recordings: rows generated in SQL, each with a small sealed ciphertext. */
async function sweeper(work: string) {
  const pg = await startPostgres({ dataDir: join(work, 'pg') });
  await migrate(pg.url);
  const db = openDb(pg.url, { max: 10 });
  try {
    const tenant = (await seedDemo(db, { password: 'bench-password-1', devicesPerTenant: 1 }))[0]!;
    const pool = db.pool;
    const store: VaultStore = localFolderStore(join(work, 'sweep'));
    const keyring = testKeyring(tenant.id);
    const signer = signerFromPem(generateSigningPem());
    const n = args.recordings;
    log(`generating ${n} expired recordings (rows in SQL, 4 KiB sealed ciphertext each)`);
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO recordings (id, tenant_id, device_id, state, retention, started_at, stopped_at, delete_at, bytes)
       SELECT gen_random_uuid(), $1, $2, 'complete', 'standard',
              now() - interval '20 days', now() - interval '20 days' + interval '1 minute',
              now() - interval '6 days' + g * interval '1 millisecond', 4096
         FROM generate_series(1, $3) AS g
       RETURNING id`,
      [tenant.id, tenant.devices[0]!.deviceId, n],
    );
    const media = randomBytes(4096);
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < rows.length) {
          const recordingId = rows[next++]!.id;
          const w = await createRecordingWriter({
            store,
            keyring,
            signer,
            recordingId,
            tenantId: tenant.id,
            deviceId: tenant.devices[0]!.deviceId,
          });
          await w.write(media);
          await w.seal();
        }
      }),
    );
    log(`ciphertexts written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const audit = createAuditLog({ pool, signer, log: pino({ level: 'silent' }) });
    const sweep = createRetentionSweeper({ pool, store, audit, log: pino({ level: 'silent' }), batch: 500 });
    const t1 = performance.now();
    const { deleted } = await sweep.sweepOnce();
    const sweepSeconds = (performance.now() - t1) / 1000;
    if (deleted !== n) throw new Error(`sweeper deleted ${deleted} of ${n}`);

    log(`appending ${args.audit} audit entries, one transaction each`);
    const t2 = performance.now();
    for (let i = 0; i < args.audit; i++) {
      await appendAudit(pool, {
        tenantId: tenant.id,
        actor: 'bench',
        action: 'playback',
        target: `recording:${rows[i % Math.max(1, rows.length)]?.id ?? 'none'}`,
        reason: 'Benchmark',
      });
    }
    const auditPerS = args.audit / ((performance.now() - t2) / 1000);
    return { sweepSeconds, deleted, auditPerS };
  } finally {
    await db.close();
    await pg.stop();
  }
}

const work = await mkdtemp(join(tmpdir(), 'lagebild-bench-vault-'));
await chmod(work, 0o755);
try {
  log('openssl speed -evp aes-256-gcm');
  const openssl = await opensslGcmMBps();
  const nodeRaw = nodeRawGcmMBps();
  log(`encrypting and decrypting ${args.mb} MB`);
  const { encryptMBps, decryptMBps, encryptWallMBps, decryptWallMBps } = await encryptDecrypt(work);
  const sw = args.recordings > 0 ? await sweeper(work) : null;
  const pct = (x: number) => `${((100 * x) / openssl).toFixed(1)} %`;
  const report = {
    bench: 'vault',
    mb: args.mb,
    opensslMBps: Math.round(openssl),
    nodeRawGcmMBps: Math.round(nodeRaw),
    encryptMBps: Math.round(encryptMBps),
    decryptMBps: Math.round(decryptMBps),
    encryptWallMBps: Math.round(encryptWallMBps),
    decryptWallMBps: Math.round(decryptWallMBps),
    loadAverage1m: loadavg()[0],
    encryptShareOfOpenssl: encryptMBps / openssl,
    decryptShareOfOpenssl: decryptMBps / openssl,
    goalShare: GOAL_SHARE,
    goalMet: Math.min(encryptMBps, decryptMBps) / openssl >= GOAL_SHARE,
    sweeper: sw && { recordings: sw.deleted, seconds: sw.sweepSeconds, perS: sw.deleted / sw.sweepSeconds },
    auditAppendsPerS: sw ? Math.round(sw.auditPerS) : null,
  };
  const rows: Array<[string, string]> = [
    ['(MB/s per CPU second, as openssl counts)', ''],
    ['openssl aes-256-gcm (16 KiB)', `${openssl.toFixed(0)} MB/s`],
    ['node raw aes-256-gcm (64 KiB)', `${nodeRaw.toFixed(0)} MB/s (${pct(nodeRaw)})`],
    [
      'encrypt (writer → folder)',
      `${encryptMBps.toFixed(0)} MB/s (${pct(encryptMBps)}), wall ${encryptWallMBps.toFixed(0)} MB/s`,
    ],
    [
      'decrypt (reader ← folder)',
      `${decryptMBps.toFixed(0)} MB/s (${pct(decryptMBps)}), wall ${decryptWallMBps.toFixed(0)} MB/s`,
    ],
    [`goal ≥ ${GOAL_SHARE * 100} % of openssl`, report.goalMet ? 'met' : 'not met'],
  ];
  if (sw) {
    rows.push([
      `sweeper, ${sw.deleted} expired`,
      `${sw.sweepSeconds.toFixed(1)} s (${(sw.deleted / sw.sweepSeconds).toFixed(0)}/s)`,
    ]);
    rows.push(['audit appends', `${sw.auditPerS.toFixed(0)}/s`]);
  }
  const w = Math.max(...rows.map(([k]) => k.length));
  console.log(`\nbench:vault\n${rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')}`);
  if (args.json) console.log(JSON.stringify(report));
} finally {
  await rm(work, { recursive: true, force: true });
}
