/**
 * `npm run bench:vault -- [--mb 512] [--recordings 100000] [--audit 20000] [--json]`
 *
 * Issue #6's vault benchmark and issue 17's floor, all measured in this run on this machine:
 * - the physical floor of the writer: the per-byte time of `openssl speed -evp aes-256-gcm` plus that
 *   of `openssl speed -evp sha256` once per SHA-256 pass the format needs (16 KiB blocks, one core,
 *   CPU time). Format version 2 needs two: the plaintext (what `sha256sum` of an export checks) and
 *   one running hash over the ciphertext, from which every segment hash is a copy of the state; the
 *   GCM tags cannot stand in for it (MACs under the data key, uncheckable without it). The 1-pass
 *   floor (AES + plaintext hash alone) is printed too, for comparison;
 * - Node's own raw AES-256-GCM on 64 KiB chunks (the ceiling node:crypto reaches per chunk) and, when
 *   it is built, the vault's native binding on the same chunks into one reused buffer (packages/vault
 *   native/, issue 17; it runs the OpenSSL inside Node, which may be newer than the `openssl` CLI's);
 *   which of the two the vault used is printed (LAGEBILD_VAULT_NATIVE=0 forces node:crypto);
 * - encryption: the recording writer (the recorder's path: chunked AEAD, both hashes, segment fsync)
 *   into a local folder store; goal (issue 17): within 1.5x of the floor;
 * - decryption: the playback route's path, every chunk authenticated: the reader's stream piped into
 *   the HTTP response, which writes through two reused 1 MiB buffers (`pipeRecording`), here into a
 *   sink that is done with each chunk at once (as a socket whose kernel took the bytes; no TCP copy),
 *   the whole recording 3 times, the median counted; goal: within 1.3x of openssl's AES alone.
 *   The reference for it is openssl at its fastest of three in this run: encrypting 16 KiB blocks
 *   (the definition; 16 KiB is the largest size `openssl speed` tests by default) and
 *   decrypting 16 KiB and 64 KiB blocks (what the reader does, in the vault's chunk size). openssl
 *   counts user CPU time; the reader is charged user + system (its read syscalls). Beside it: the
 *   same stream consumed with `for await` (a consumer that keeps every buffer, as the export's tar
 *   and verifyRecording do: a new 1 MiB buffer per push), and reading the same ciphertext files with
 *   1 MiB read syscalls and no decryption (the copy out of the page cache);
 * - the retention sweeper on N expired recordings (real PostgreSQL: rows generated in SQL, one small
 *   sealed ciphertext per recording written by the real writer), with crypto-shredding, signed
 *   receipts and one audit entry each;
 * - audit append rate (one entry per transaction, as the gateway appends them).
 * Ratios are times per byte (x = how many times the reference's time). The last stdout line with
 * --json is one JSON object.
 */
import { execFile } from 'node:child_process';
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, open, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
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
  nativeGcm,
  nativeGcmStatus,
  openRecording,
  pipeRecording,
  segmentObject,
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

/**
 * openssl's figure for one block size, in MB/s (openssl's "k" is 1000 bytes; it divides by CPU user
 * time); 16 KiB encryption unless told.
 */
async function opensslMBps(
  algorithm: 'aes-256-gcm' | 'sha256',
  { bytes = 16384, decrypt = false } = {},
): Promise<number> {
  const { stdout } = await run(
    'openssl',
    ['speed', ...(decrypt ? ['-decrypt'] : []), '-evp', algorithm, '-seconds', '2', '-bytes', String(bytes)],
    { maxBuffer: 1 << 20 },
  );
  const line = stdout.split('\n').find((l) => l.trim().toLowerCase().startsWith(algorithm));
  const last = line?.trim().split(/\s+/).at(-1);
  if (!last?.endsWith('k')) throw new Error(`cannot read openssl speed output:\n${stdout}`);
  return Number.parseFloat(last) / 1000;
}

/** SHA-256 passes over every byte in recording format 2: plaintext + one over the ciphertext */
const HASH_PASSES = 2;
const WRITER_GOAL = 1.5;
const DECRYPT_GOAL = 1.3;
/** MB/s of doing AES once and SHA-256 `passes` times over each byte, from the per-byte times */
const floorMBps = (aes: number, sha: number, passes: number) => 1 / (1 / aes + passes / sha);

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

/** the native binding's raw AES-256-GCM on the same chunks, sealed into one reused buffer */
function nativeRawGcmMBps(seconds = 2): number | null {
  if (!nativeGcm) return null;
  const ctx = nativeGcm.create(randomBytes(32), true);
  const chunk = randomBytes(64 * 1024);
  const out = Buffer.alloc(chunk.length + 16);
  const nonce = Buffer.alloc(12);
  const aad = Buffer.alloc(38);
  let bytes = 0;
  const t0 = performance.now();
  const elapsed = clock();
  let i = 0;
  while (performance.now() - t0 < seconds * 1000) {
    nonce.writeUInt32BE(i++, 8);
    nativeGcm.seal(ctx, nonce, aad, chunk, out, 0);
    bytes += chunk.length;
  }
  nativeGcm.destroy(ctx);
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

  // the playback route: reply.send(readRange()) pipes the stream into the response, which takes the
  // reused-buffer path (pipeRecording); the sink is done with each chunk when write() returns
  const rec = await openRecording({ store, keyring, tenantId, recordingId });
  const piped: Array<{ cpuS: number; wallS: number }> = [];
  for (let pass = 0; pass < 3; pass++) {
    let got = 0;
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        got += chunk.length;
        cb();
      },
    });
    const c = clock();
    await pipeRecording(rec.cursor(0, rec.size - 1), sink, rec.size);
    piped.push(c());
    if (got !== written) throw new Error(`decrypted ${got} bytes of ${written}`);
  }
  const decPasses = piped.map((p) => written / MB / p.cpuS);
  const dec = [...piped].sort((a, b) => a.cpuS - b.cpuS)[1]!;

  // the same stream consumed by `for await`: a new plaintext buffer per push
  const streamClock = clock();
  let read = 0;
  for await (const b of rec.readAll()) read += (b as Buffer).length;
  const streamed = streamClock();
  if (read !== written) throw new Error(`decrypted ${read} bytes of ${written}`);

  // what the reader cannot avoid before any AES: the ciphertext copied out of the page cache by read
  // syscalls, here alone into one reused 1 MiB buffer (the reader's read size), no decryption
  const rawClock = clock();
  const rawBuf = Buffer.allocUnsafeSlow(1024 * 1024);
  let rawBytes = 0;
  for (const s of rec.segments) {
    const fh = await open(join(work, 'vault', segmentObject(tenantId, recordingId, s.file)), 'r');
    for (let pos = 0; ; ) {
      const { bytesRead } = await fh.read(rawBuf, 0, rawBuf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      rawBytes += bytesRead;
    }
    await fh.close();
  }
  const raw = rawClock();
  return {
    readOnlyMBps: rawBytes / MB / raw.cpuS,
    encryptMBps: written / MB / enc.cpuS,
    decryptMBps: written / MB / dec.cpuS,
    decryptPassesMBps: decPasses,
    streamMBps: read / MB / streamed.cpuS,
    encryptWallMBps: written / MB / enc.wallS,
    decryptWallMBps: written / MB / dec.wallS,
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
  log('openssl speed -evp aes-256-gcm (encrypt 16 KiB; decrypt 16 and 64 KiB), -evp sha256');
  const opensslAll = async () => ({
    enc16: await opensslMBps('aes-256-gcm'),
    dec16: await opensslMBps('aes-256-gcm', { decrypt: true }),
    dec64: await opensslMBps('aes-256-gcm', { decrypt: true, bytes: 65536 }),
  });
  const aesRuns = await opensslAll();
  const openssl = aesRuns.enc16;
  const opensslSha = await opensslMBps('sha256');
  const nodeRaw = nodeRawGcmMBps();
  const nativeRaw = nativeRawGcmMBps();
  log(`vault AES-256-GCM: ${nativeGcm ? 'native binding' : 'node:crypto'} (${nativeGcmStatus})`);
  log(`encrypting and decrypting ${args.mb} MB`);
  const {
    encryptMBps,
    decryptMBps,
    decryptPassesMBps,
    streamMBps,
    encryptWallMBps,
    decryptWallMBps,
    readOnlyMBps,
  } = await encryptDecrypt(work);
  // the references again after the work, so that a change in the machine's load shows
  const aesRunsAfter = await opensslAll();
  const opensslAfter = aesRunsAfter.enc16;
  const opensslShaAfter = await opensslMBps('sha256');
  /** the writer's floor: the AES figure (encryption, 16 KiB) */
  const aes = Math.max(openssl, opensslAfter);
  /** the reader's reference: openssl at its fastest of the three, before or after */
  const aesBest = Math.max(...Object.values(aesRuns), ...Object.values(aesRunsAfter));
  const sha = Math.max(opensslSha, opensslShaAfter);
  const sw = args.recordings > 0 ? await sweeper(work) : null;
  const floor = floorMBps(aes, sha, HASH_PASSES);
  const floor1 = floorMBps(aes, sha, 1);
  const writerRatio = floor / encryptMBps;
  const decryptRatio = aesBest / decryptMBps;
  const report = {
    bench: 'vault',
    date: new Date().toISOString(),
    mb: args.mb,
    opensslMBps: Math.round(aes),
    opensslSha256MBps: Math.round(sha),
    opensslReaderReferenceMBps: Math.round(aesBest),
    opensslRuns: {
      aesBefore: Math.round(openssl),
      aesAfter: Math.round(opensslAfter),
      aesDecrypt16KiB: [aesRuns.dec16, aesRunsAfter.dec16].map(Math.round),
      aesDecrypt64KiB: [aesRuns.dec64, aesRunsAfter.dec64].map(Math.round),
      sha256Before: Math.round(opensslSha),
      sha256After: Math.round(opensslShaAfter),
    },
    hashPasses: HASH_PASSES,
    floorMBps: Math.round(floor),
    floor1PassMBps: Math.round(floor1),
    nodeRawGcmMBps: Math.round(nodeRaw),
    nativeRawGcmMBps: nativeRaw === null ? null : Math.round(nativeRaw),
    aesPath: nativeGcm ? 'native' : 'node:crypto',
    encryptMBps: Math.round(encryptMBps),
    decryptMBps: Math.round(decryptMBps),
    encryptWallMBps: Math.round(encryptWallMBps),
    decryptWallMBps: Math.round(decryptWallMBps),
    decryptPassesMBps: decryptPassesMBps.map(Math.round),
    streamMBps: Math.round(streamMBps),
    readOnlyMBps: Math.round(readOnlyMBps),
    writerRatio: Number(writerRatio.toFixed(2)),
    writerRatio1Pass: Number((floor1 / encryptMBps).toFixed(2)),
    writerGoal: WRITER_GOAL,
    writerGoalMet: writerRatio <= WRITER_GOAL,
    decryptRatio: Number(decryptRatio.toFixed(2)),
    decryptGoal: DECRYPT_GOAL,
    decryptGoalMet: decryptRatio <= DECRYPT_GOAL,
    loadAverage1m: loadavg()[0],
    sweeper: sw && { recordings: sw.deleted, seconds: sw.sweepSeconds, perS: sw.deleted / sw.sweepSeconds },
    auditAppendsPerS: sw ? Math.round(sw.auditPerS) : null,
  };
  const mbps = (x: number) => `${x.toFixed(0)} MB/s`;
  const x = (r: number, goal: number) =>
    `${r.toFixed(2)}x (goal <= ${goal}x: ${r <= goal ? 'met' : 'not met'})`;
  const rows: Array<[string, string, string]> = [
    ['(MB/s per CPU second, as openssl counts)', 'MB/s', 'time per byte vs reference'],
    [
      'openssl aes-256-gcm (16 KiB)',
      mbps(aes),
      `runs ${openssl.toFixed(0)} / ${opensslAfter.toFixed(0)} (before / after the work)`,
    ],
    [
      'openssl aes-256-gcm decrypt 16 / 64 KiB',
      `${mbps(Math.max(aesRuns.dec16, aesRunsAfter.dec16))} / ${Math.max(aesRuns.dec64, aesRunsAfter.dec64).toFixed(0)}`,
      `runs ${aesRuns.dec16.toFixed(0)}, ${aesRuns.dec64.toFixed(0)} / ${aesRunsAfter.dec16.toFixed(0)}, ${aesRunsAfter.dec64.toFixed(0)}`,
    ],
    ['openssl aes, fastest of the three', mbps(aesBest), 'reference for the reader'],
    ['openssl sha256 (16 KiB)', mbps(sha), `runs ${opensslSha.toFixed(0)} / ${opensslShaAfter.toFixed(0)}`],
    [`floor: aes + ${HASH_PASSES} x sha256`, mbps(floor), 'reference for the writer'],
    ['(floor with 1 x sha256, plaintext only)', mbps(floor1), ''],
    ['node raw aes-256-gcm (64 KiB chunks)', mbps(nodeRaw), `${(aes / nodeRaw).toFixed(2)}x openssl aes`],
    [
      'native raw aes-256-gcm (64 KiB chunks)',
      nativeRaw === null ? 'n/a' : mbps(nativeRaw),
      nativeRaw === null ? `binding ${nativeGcmStatus}` : `${(aes / nativeRaw).toFixed(2)}x openssl aes`,
    ],
    ['vault AES path', nativeGcm ? 'native' : 'node:crypto', ''],
    [
      'writer (encrypt → folder)',
      mbps(encryptMBps),
      `${x(writerRatio, WRITER_GOAL)} of the floor; ${(floor1 / encryptMBps).toFixed(2)}x of the 1-pass floor`,
    ],
    ['  wall clock', mbps(encryptWallMBps), ''],
    [
      'reader piped (decrypt ← folder → response)',
      mbps(decryptMBps),
      `${x(decryptRatio, DECRYPT_GOAL)} of openssl aes (fastest); median of ${decryptPassesMBps.map((v) => v.toFixed(0)).join(', ')}`,
    ],
    ['  wall clock', mbps(decryptWallMBps), ''],
    [
      '  the stream by for await (new buffers)',
      mbps(streamMBps),
      `${(aesBest / streamMBps).toFixed(2)}x of openssl aes (fastest)`,
    ],
    [
      '  reading the same ciphertext alone',
      mbps(readOnlyMBps),
      `${(aesBest / readOnlyMBps).toFixed(2)}x of openssl aes (fastest) (1 MiB reads, page cache, no AES)`,
    ],
    ['load average (1 min)', loadavg()[0]!.toFixed(2), ''],
  ];
  if (sw) {
    rows.push([
      `sweeper, ${sw.deleted} expired`,
      `${sw.sweepSeconds.toFixed(1)} s`,
      `${(sw.deleted / sw.sweepSeconds).toFixed(0)}/s`,
    ]);
    rows.push(['audit appends', `${sw.auditPerS.toFixed(0)}/s`, '']);
  }
  const w0 = Math.max(...rows.map(([k]) => k.length));
  const w1 = Math.max(...rows.map(([, v]) => v.length));
  const table = rows.map(([k, v, r]) => `  ${k.padEnd(w0)}  ${v.padStart(w1)}  ${r}`.trimEnd()).join('\n');
  console.log(`\nbench:vault\n${table}`);
  if (args.json) console.log(JSON.stringify(report));
} finally {
  await rm(work, { recursive: true, force: true });
}
