/**
 * A real WebM from ffmpeg through the real pipeline into a folder, then checked the way an outside
 * party would: openssl for the signatures, sha256sum-equivalent hashes, ffprobe for the video, tar
 * for the export bundle. Also the Transform streams, and shredding that is killed midway.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalJson,
  createDecryptStream,
  createEncryptStream,
  createExportBundle,
  createKeyring,
  ensureKeyringFile,
  ensureSigningKeyFile,
  generateSigningPem,
  ingestFile,
  type Keyring,
  keyObject,
  loadKeyringFile,
  localFolderStore,
  makeTestVideo,
  openRecording,
  readWrappedKey,
  receiptObject,
  receiptSignatureObject,
  recordingPrefix,
  remuxForExport,
  type Signer,
  sha256,
  shredRecording,
  signerFromPem,
  verifierFromPem,
  verifyExportBundle,
  verifyRecording,
} from './index.ts';

const run = promisify(execFile);
const TENANT = randomUUID();
const DEVICE = randomUUID();
let dir: string;
let video: Buffer;
let videoPath: string;
let keyring: Keyring;
let signer: Signer;

async function openssl(args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout, stderr } = await run('openssl', args);
    return { ok: true, out: stdout + stderr };
  } catch (err) {
    return { ok: false, out: String((err as { stdout?: string }).stdout ?? err) };
  }
}

function ffprobeStdin(data: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name',
      '-of',
      'csv=p=0',
      '-i',
      'pipe:0',
    ]);
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`ffprobe exit ${code}`))));
    data.pipe(p.stdin).on('error', () => {});
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vault-test-'));
  videoPath = join(dir, 'source.webm');
  await makeTestVideo(videoPath, { seconds: 4 });
  video = await readFile(videoPath);
  keyring = await ensureKeyringFile(join(dir, 'keys', 'keyring.json'), [TENANT]);
  signer = await ensureSigningKeyFile(join(dir, 'keys', 'signing.pem'));
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('real WebM through the folder store', () => {
  it('creates key files with mode 0600 and reloads them', async () => {
    const { stat } = await import('node:fs/promises');
    expect((await stat(join(dir, 'keys', 'keyring.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'keys', 'signing.pem'))).mode & 0o777).toBe(0o600);
    expect(createKeyring(await loadKeyringFile(join(dir, 'keys', 'keyring.json'))).currentKekId(TENANT)).toBe(
      'k1',
    );
  });

  it('ingests, verifies, and the decrypted stream is the same playable WebM', async () => {
    const store = localFolderStore(join(dir, 'store'));
    const recordingId = randomUUID();
    const sealed = await ingestFile(videoPath, {
      store,
      keyring,
      signer,
      recordingId,
      tenantId: TENANT,
      deviceId: DEVICE,
      segmentMaxBytes: 128 * 1024,
    });
    expect(sealed.manifest.plaintextSha256).toBe(sha256(video));
    expect(sealed.manifest.segments.length).toBeGreaterThan(1);
    const files = await readdir(join(dir, 'store', TENANT, recordingId));
    for (const f of files) {
      const b = await readFile(join(dir, 'store', TENANT, recordingId, f));
      expect(b.includes(video.subarray(0, 64)), f).toBe(false); // the EBML header never hits the disk
    }
    const rep = await verifyRecording({
      store,
      keyring,
      tenantId: TENANT,
      recordingId,
      verifier: verifierFromPem(signer.publicKeyPem),
    });
    expect(rep.status).toBe('complete');
    const r = await openRecording({ store, keyring, tenantId: TENANT, recordingId });
    expect(await ffprobeStdin(r.readAll())).toMatch(/vp8\s+opus/);

    // openssl verifies the manifest signature as it is stored, without Lagebild code
    const base = join(dir, 'store', TENANT, recordingId);
    const pub = join(dir, 'keys', 'signing.pub.pem');
    const good = await openssl([
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      pub,
      '-rawin',
      '-in',
      join(base, 'manifest.json'),
      '-sigfile',
      join(base, 'manifest.sig'),
    ]);
    expect(good.out).toContain('Signature Verified Successfully');
    const forged = join(dir, 'forged.json');
    await writeFile(
      forged,
      (await readFile(join(base, 'manifest.json'), 'utf8')).replace('"prerecordS":0', '"prerecordS":1'),
    );
    const bad = await openssl([
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      pub,
      '-rawin',
      '-in',
      forged,
      '-sigfile',
      join(base, 'manifest.sig'),
    ]);
    expect(bad.ok).toBe(false);
    // the ciphertext hash is `cat seg-*.lbv | sha256sum`
    const segs = files.filter((f) => f.endsWith('.lbv')).sort();
    const cat = Buffer.concat(await Promise.all(segs.map((f) => readFile(join(base, f)))));
    expect(sha256(cat)).toBe(sealed.manifest.ciphertextSha256);
    // and the decrypt Transform turns exactly that concatenation back into the video
    const wrapped = await readWrappedKey(store, TENANT, recordingId);
    const out: Buffer[] = [];
    await pipeline(
      Readable.from([cat]),
      createDecryptStream({
        dataKey: keyring.unwrap(wrapped, { tenantId: TENANT, recordingId }),
        recordingId,
      }),
      async (src) => {
        for await (const b of src) out.push(b as Buffer);
      },
    );
    expect(Buffer.concat(out).equals(video)).toBe(true);
  });

  it('the decrypt Transform errors with incomplete on a cut stream and tampered on a flipped byte', async () => {
    const dataKey = randomBytes(32);
    const recordingId = randomUUID();
    const enc: Buffer[] = [];
    await pipeline(
      Readable.from([video]),
      createEncryptStream({ dataKey, recordingId, noncePrefix: randomBytes(4) }),
      async (src) => {
        for await (const b of src) enc.push(b as Buffer);
      },
    );
    const ct = Buffer.concat(enc);
    const decrypt = async (input: Buffer) => {
      const parts: Buffer[] = [];
      await pipeline(
        Readable.from([input.subarray(0, 5000), input.subarray(5000)]),
        createDecryptStream({ dataKey, recordingId }),
        async (src) => {
          for await (const b of src) parts.push(b as Buffer);
        },
      );
      return Buffer.concat(parts);
    };
    expect((await decrypt(ct)).equals(video)).toBe(true);
    await expect(decrypt(ct.subarray(0, 48 + 65553 * 2))).rejects.toMatchObject({ code: 'incomplete' });
    const flipped = Buffer.from(ct);
    flipped[70_000]! ^= 0x80;
    await expect(decrypt(flipped)).rejects.toMatchObject({ code: 'tampered' });
  });
});

describe('export bundle', () => {
  it('verifies with openssl, sha256 and ffprobe after tar -x, and in code; a changed video fails', async () => {
    // the recorder (SFU) signs the manifest with a key of its own, the service (gateway) the export
    // note and checkpoints with another (issue 13): the bundle carries both public keys
    const recorder = signerFromPem(generateSigningPem());
    const store = localFolderStore(join(dir, 'store'));
    const recordingId = randomUUID();
    const sealed = await ingestFile(videoPath, {
      store,
      keyring,
      signer: recorder,
      recordingId,
      tenantId: TENANT,
      deviceId: DEVICE,
    });
    const rec = await openRecording({ store, keyring, tenantId: TENANT, recordingId });
    const bundle = createExportBundle({
      recording: rec,
      manifestJson: sealed.manifestJson,
      signature: sealed.signature,
      manifestPublicKeyPem: recorder.publicKeyPem,
      signer,
      exportedBy: 'duisburg.supervisor',
      recipient: 'StA Duisburg 123 Js 456/26',
      reason: 'Anzeige wegen Körperverletzung',
      now: Date.now(),
    });
    const tarPath = join(dir, bundle.fileName);
    const chunks: Buffer[] = [];
    for await (const b of bundle.stream) chunks.push(b as Buffer);
    const tar = Buffer.concat(chunks);
    expect(tar.length).toBe(bundle.size);
    await writeFile(tarPath, tar);
    const check = await verifyExportBundle(tarPath);
    expect(check.checks.filter((c) => !c.ok)).toEqual([]);
    expect(check.ok).toBe(true);

    const x = join(dir, 'unpacked');
    await run('mkdir', ['-p', x]);
    await run('tar', ['-xf', tarPath, '-C', x]);
    const v = await openssl([
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      join(x, 'manifest-public.pem'),
      '-rawin',
      '-in',
      join(x, 'manifest.json'),
      '-sigfile',
      join(x, 'manifest.sig'),
    ]);
    expect(v.out).toContain('Signature Verified Successfully');
    const e = await openssl([
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      join(x, 'service-public.pem'),
      '-rawin',
      '-in',
      join(x, 'export.json'),
      '-sigfile',
      join(x, 'export.sig'),
    ]);
    expect(e.out).toContain('Signature Verified Successfully');
    const { stdout: sum } = await run('sha256sum', [join(x, check.videoName!)]);
    expect(sum.split(' ')[0]).toBe(sealed.manifest.plaintextSha256);
    const { stdout: probe } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name',
      '-of',
      'csv=p=0',
      join(x, check.videoName!),
    ]);
    expect(probe).toMatch(/vp8\s+opus/);
    const { stdout: der } = await run('bash', [
      '-c',
      `openssl pkey -pubin -in ${join(x, 'manifest-public.pem')} -outform DER | sha256sum`,
    ]);
    expect(der.split(' ')[0]).toBe(sealed.manifest.signingKey);
    expect(sealed.manifest.signingKey).not.toBe(signer.fingerprint);

    const bad = Buffer.from(tar);
    bad[bad.length - 2048]! ^= 1; // inside the video, which comes last
    await writeFile(tarPath, bad);
    const badCheck = await verifyExportBundle(tarPath);
    expect(badCheck.ok).toBe(false);
    expect(badCheck.checks.find((c) => !c.ok)?.name).toBe('video hash');
  });
});

describe('export bundle with a playable copy and a chain of custody (issue 13)', () => {
  it('verifies the copy by its packets and the chain to its signed checkpoint; a changed payload or entry fails', async () => {
    const store = localFolderStore(join(dir, 'store-custody'));
    const recordingId = randomUUID();
    const sealed = await ingestFile(videoPath, {
      store,
      keyring,
      signer,
      recordingId,
      tenantId: TENANT,
      deviceId: DEVICE,
    });
    const rec = await openRecording({ store, keyring, tenantId: TENANT, recordingId });
    const copy = await remuxForExport(rec, sealed.manifest.mediaType, { tmpDir: dir });
    // a chain as packages/audit hashes it: an entry about another recording in between
    const target = `recording:${recordingId}`;
    const rows: { action: string; target: string; recipient: string | null; payload: object }[] = [
      { action: 'recording_sealed', target, recipient: null, payload: { bytes: 1 } },
      { action: 'playback', target: `recording:${randomUUID()}`, recipient: null, payload: { x: 1 } },
      { action: 'export', target, recipient: 'StA Duisburg', payload: { userId: 'u' } },
    ];
    let prev = '0'.repeat(64);
    const entries = rows.map((r, i) => {
      const payload = canonicalJson(r.payload);
      const hashInput = canonicalJson({
        v: 1,
        seq: 41 + i,
        tenant: TENANT,
        at: 1_700_000_000_000 + i,
        actor: 'user:x',
        action: r.action,
        target: r.target,
        reason: 'r',
        recipient: r.recipient,
        payload: sha256(payload),
        prev,
      });
      prev = sha256(hashInput);
      return { seq: 41 + i, hashInput, payload: r.target === target ? payload : null };
    });
    const statement = canonicalJson({ format: 'lagebild-audit-checkpoint/1', seq: 43, hash: prev, at: 1 });
    const bundle = createExportBundle({
      recording: rec,
      manifestJson: sealed.manifestJson,
      signature: sealed.signature,
      manifestPublicKeyPem: signer.publicKeyPem,
      signer,
      exportedBy: 'duisburg.supervisor',
      recipient: 'StA Duisburg',
      reason: 'Anzeige',
      now: Date.now(),
      playable: copy,
      custody: { entries, checkpoint: { statement, signature: signer.sign(statement) } },
    });
    const tarPath = join(dir, 'custody.tar');
    const chunks: Buffer[] = [];
    for await (const b of bundle.stream) chunks.push(b as Buffer);
    await copy.cleanup();
    const tar = Buffer.concat(chunks);
    expect(tar.length).toBe(bundle.size);
    await writeFile(tarPath, tar);
    const check = await verifyExportBundle(tarPath);
    expect(check.checks.filter((c) => !c.ok)).toEqual([]);
    expect(check.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'playable packets',
        'playable duration',
        'custody chain',
        'custody of this recording',
      ]),
    );

    const x = join(dir, 'custody-unpacked');
    await run('mkdir', ['-p', x]);
    await run('tar', ['-xf', tarPath, '-C', x]);
    const script = await run('sh', ['verify.sh'], { cwd: x });
    expect(script.stdout).not.toContain('FAIL');
    await writeFile(join(x, 'custody', '000000000041.payload.json'), '{"bytes":2}');
    expect((await run('sh', ['verify.sh'], { cwd: x })).stdout).toContain(
      'FAIL payloads hash to their entries',
    );

    // a changed entry in between (even one about something else) breaks the chain
    const gap = Buffer.from(tar);
    const at = gap.indexOf('"action":"playback"');
    gap.write('"action":"playbacK"', at);
    await writeFile(tarPath, gap);
    const bad = await verifyExportBundle(tarPath);
    expect(bad.checks.find((c) => c.name === 'custody chain')?.ok).toBe(false);
  });
});

describe('crypto-shredding', () => {
  it('is idempotent, resumes after being killed midway, and leaves a signed receipt', async () => {
    const store = localFolderStore(join(dir, 'store'));
    const recordingId = randomUUID();
    const sealed = await ingestFile(videoPath, {
      store,
      keyring,
      signer,
      recordingId,
      tenantId: TENANT,
      deviceId: DEVICE,
    });
    let t = 1_800_000_000_000;
    const shred = (kill?: 'receipt' | 'key') =>
      shredRecording({
        store,
        signer,
        tenantId: TENANT,
        recordingId,
        deviceId: DEVICE,
        cause: 'retention_expired',
        now: () => t++,
        onStep: (s) => {
          if (s === kill) throw new Error(`killed after ${s}`);
        },
      });
    await expect(shred('receipt')).rejects.toThrow('killed');
    expect(await store.get(keyObject(TENANT, recordingId))).not.toBeNull();
    await expect(shred('key')).rejects.toThrow('killed');
    expect(await store.get(keyObject(TENANT, recordingId))).toBeNull();
    await expect(openRecording({ store, keyring, tenantId: TENANT, recordingId })).rejects.toMatchObject({
      code: 'shredded',
    });
    const done = await shred();
    const again = await shred();
    expect(again.receiptJson).toBe(done.receiptJson); // the first receipt stands, time and all
    expect(done.receipt.plaintextSha256).toBe(sealed.manifest.plaintextSha256);
    expect(done.receipt.manifestSha256).toBe(sha256(sealed.manifestJson));
    expect(await store.list(recordingPrefix(TENANT, recordingId))).toEqual([]);
    const receiptPath = join(dir, 'store', receiptObject(TENANT, recordingId));
    const v = await openssl([
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      join(dir, 'keys', 'signing.pub.pem'),
      '-rawin',
      '-in',
      receiptPath,
      '-sigfile',
      join(dir, 'store', receiptSignatureObject(TENANT, recordingId)),
    ]);
    expect(v.out).toContain('Signature Verified Successfully');
  });
});
