/**
 * Segment format versions (issue 17). Version 2 signs cumulative segment hashes (`cat seg-0…k |
 * sha256sum`), so the writer hashes the ciphertext once instead of twice; version 1 recordings,
 * written before, signed each segment's own hash and must still open and verify. The fixture in
 * `fixtures/v1-recording/` was made by the version-1 writer (commit 5747390) with throwaway test
 * keys: its keyring, public key and plaintext lie beside it (its manifest as `manifest.json.canonical`).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  canonicalJson,
  createKeyring,
  createRecordingWriter,
  ensureTenants,
  generateSigningPem,
  type KeyringFile,
  localFolderStore,
  manifestObject,
  memoryStore,
  openRecording,
  sealPrefixOnDisk,
  segmentObject,
  signatureObject,
  signerFromPem,
  signJson,
  type VaultError,
  type VaultStore,
  verifierFromPem,
  verifyRecording,
} from './index.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const FIXTURE = join(import.meta.dirname, 'fixtures', 'v1-recording');

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as VaultError).code ?? 'error';
  }
  return 'ok';
}

const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** a copy of the version-1 fixture in a temp folder (tests change it) */
async function v1Recording() {
  const dir = await mkdtemp(join(tmpdir(), 'lagebild-v1-'));
  temps.push(dir);
  await cp(FIXTURE, dir, { recursive: true });
  const { tenantId, recordingId } = JSON.parse(await readFile(join(dir, 'recording.json'), 'utf8'));
  const keyring = createKeyring(JSON.parse(await readFile(join(dir, 'keyring.json'), 'utf8')));
  const verifier = verifierFromPem(await readFile(join(dir, 'signing.pub.pem'), 'utf8'));
  const store = localFolderStore(join(dir, 'store'));
  const folder = join(dir, 'store', tenantId, recordingId);
  // kept under another name so that no formatter rewrites the signed bytes
  await rename(join(folder, 'manifest.json.canonical'), join(folder, 'manifest.json'));
  const segments = async () => {
    const files = (await readdir(folder)).filter((f) => f.startsWith('seg-')).sort();
    return Promise.all(files.map((f) => readFile(join(folder, f))));
  };
  const plain = await readFile(join(dir, 'plain.bin'));
  return { tenantId, recordingId, keyring, verifier, store, folder, segments, plain };
}

async function readAll(r: Awaited<ReturnType<typeof openRecording>>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of r.readAll()) parts.push(b as Buffer);
  return Buffer.concat(parts);
}

describe('version 1 recordings (written before issue 17)', () => {
  it('open, decrypt and verify, with each segment hash over its own file', async () => {
    const v1 = await v1Recording();
    const opts = { ...v1, verifier: v1.verifier };
    const r = await openRecording(opts);
    expect(r.segments.map((s) => s.header.version)).toEqual([1, 1, 1]);
    expect(r.status).toBe('complete');
    expect((await readAll(r)).equals(v1.plain)).toBe(true);
    await expect(verifyRecording(opts)).resolves.toMatchObject({ status: 'complete', signed: true });
    const segs = await v1.segments();
    expect(sha(Buffer.concat(segs))).toBe(r.manifest?.ciphertextSha256);
    expect(r.manifest?.segments.map((s) => s.sha256)).toEqual(segs.map(sha));
  });

  it('a changed byte in a v1 segment still fails', async () => {
    const v1 = await v1Recording();
    const file = join(v1.folder, 'seg-000001.lbv');
    const b = await readFile(file);
    b[200]! ^= 1;
    await writeFile(file, b);
    expect(await code(verifyRecording({ ...v1 }))).toBe('tampered');
  });

  it('a v1 prefix sealed from disk keeps per-segment hashes', async () => {
    const v1 = await v1Recording();
    const signed = JSON.parse(await readFile(join(v1.folder, 'manifest.json'), 'utf8'));
    await rm(join(v1.folder, 'manifest.json'));
    await rm(join(v1.folder, 'manifest.sig'));
    const signer = signerFromPem(generateSigningPem());
    const sealed = await sealPrefixOnDisk({
      ...v1,
      signer,
      deviceId: randomUUID(),
      mediaType: 'video/webm',
      startedAt: 1_700_000_000_000,
      cut: 'sfu_restart',
    });
    expect(sealed?.manifest.segments.map((s) => s.sha256)).toEqual(
      signed.segments.map((s: { sha256: string }) => s.sha256),
    );
    expect(sealed?.manifest.ciphertextSha256).toBe(signed.ciphertextSha256);
  });
});

describe('version 2 recordings (issue 17)', () => {
  const TENANT = randomUUID();
  const signer = signerFromPem(generateSigningPem());
  const verifier = verifierFromPem(signer.publicKeyPem);
  const ring = (): KeyringFile => {
    const f: KeyringFile = { format: 'lagebild-keyring/1', tenants: {} };
    ensureTenants(f, [TENANT]);
    return f;
  };

  async function record(store: VaultStore, keyring: ReturnType<typeof createKeyring>, plain: Buffer) {
    const recordingId = randomUUID();
    const w = await createRecordingWriter({
      store,
      keyring,
      signer,
      recordingId,
      tenantId: TENANT,
      deviceId: randomUUID(),
      chunkSize: 1024,
      segmentMaxBytes: 3 * 1024,
    });
    await w.write(plain.subarray(0, 1500));
    await w.write(plain.subarray(1500));
    const sealed = await w.seal();
    return { recordingId, sealed };
  }

  const segmentBytes = (store: ReturnType<typeof memoryStore>, recordingId: string, n: number) =>
    Array.from({ length: n }, (_, i) => {
      const b = store.objects.get(
        segmentObject(TENANT, recordingId, `seg-${String(i).padStart(6, '0')}.lbv`),
      );
      if (!b) throw new Error(`segment ${i} missing`);
      return b;
    });

  it('sign cumulative segment hashes: segment k = sha256 of segments 0…k, the last = ciphertextSha256', async () => {
    const store = memoryStore();
    const keyring = createKeyring(ring());
    const plain = randomBytes(10 * 1024 + 77);
    const { recordingId, sealed } = await record(store, keyring, plain);
    const m = sealed.manifest;
    expect(m.segments.length).toBe(4);
    const segs = segmentBytes(store, recordingId, m.segments.length);
    expect(segs.map((s) => s[4])).toEqual([2, 2, 2, 2]); // header version byte
    expect(m.segments.map((s) => s.sha256)).toEqual(
      segs.map((_, k) => sha(Buffer.concat(segs.slice(0, k + 1)))),
    );
    expect(m.segments.at(-1)?.sha256).toBe(m.ciphertextSha256);
    expect(sha(Buffer.concat(segs))).toBe(m.ciphertextSha256);
    expect(m.plaintextSha256).toBe(sha(plain));
    const opts = { store, keyring, tenantId: TENANT, recordingId, verifier };
    expect((await readAll(await openRecording(opts))).equals(plain)).toBe(true);
    await expect(verifyRecording(opts)).resolves.toMatchObject({ status: 'complete', signed: true });
  });

  it('a v2 segment relabelled as version 1 fails authentication (the version is in every chunk)', async () => {
    const store = memoryStore();
    const keyring = createKeyring(ring());
    const { recordingId } = await record(store, keyring, randomBytes(5000));
    for (const seg of segmentBytes(store, recordingId, 2)) seg[4] = 1;
    const opts = { store, keyring, tenantId: TENANT, recordingId, verifier };
    expect(await code(openRecording(opts).then(readAll))).toBe('tampered');
  });

  it('verifyRecording refuses a signed manifest whose segment hash does not match', async () => {
    const store = memoryStore();
    const keyring = createKeyring(ring());
    const { recordingId, sealed } = await record(store, keyring, randomBytes(8000));
    const opts = { store, keyring, tenantId: TENANT, recordingId, verifier };
    await expect(verifyRecording(opts)).resolves.toMatchObject({ signed: true });
    // a validly signed manifest that states segment 1's own (version-1 style) hash instead
    const seg0 = segmentBytes(store, recordingId, 1)[0]!;
    const m = structuredClone(sealed.manifest);
    m.segments[1]!.sha256 = sha(segmentBytes(store, recordingId, 2)[1]!);
    expect(m.segments[1]!.sha256).not.toBe(sealed.manifest.segments[1]!.sha256);
    const { json, signature } = signJson(signer, m);
    expect(json).toBe(canonicalJson(m));
    store.objects.set(manifestObject(TENANT, recordingId), Buffer.from(json));
    store.objects.set(signatureObject(TENANT, recordingId), signature);
    expect(await code(verifyRecording(opts))).toBe('tampered');
    expect(sha(seg0)).toBe(sealed.manifest.segments[0]!.sha256); // segment 0: both schemes agree
  });

  it('a v2 prefix sealed from disk signs the same cumulative hashes the writer would have', async () => {
    const store = memoryStore();
    const keyring = createKeyring(ring());
    const { recordingId, sealed } = await record(store, keyring, randomBytes(9000));
    store.objects.delete(manifestObject(TENANT, recordingId));
    store.objects.delete(signatureObject(TENANT, recordingId));
    const prefix = await sealPrefixOnDisk({
      store,
      keyring,
      signer,
      tenantId: TENANT,
      recordingId,
      deviceId: randomUUID(),
      mediaType: 'video/webm',
      startedAt: 1_700_000_000_000,
      cut: 'ffmpeg_exit',
    });
    expect(prefix?.manifest.segments.map((s) => s.sha256)).toEqual(
      sealed.manifest.segments.map((s) => s.sha256),
    );
    expect(prefix?.manifest.ciphertextSha256).toBe(sealed.manifest.ciphertextSha256);
  });
});
