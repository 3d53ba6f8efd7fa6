/**
 * A recording cut before its stream ended (issue 14) is sealed as a prefix: by its writer while it
 * still can (ffmpeg died, the worker died: the final chunk is written and the manifest says `cut`), or
 * afterwards from disk (the SFU was killed, the disk filled up): torn records are truncated, and the
 * manifest signs exactly the whole chunks that remain.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createKeyring,
  createRecordingWriter,
  localFolderStore,
  manifestObject,
  memoryStore,
  openRecording,
  recordBytes,
  reserveObject,
  sealPrefixOnDisk,
  segmentObject,
  type VaultError,
  type VaultStore,
  verifyRecording,
} from './index.ts';
import { CHUNK, DEVICE, ringFile, sha, signer, TENANT, verifier } from './test-fixture.ts';

const keyring = createKeyring(ringFile());

async function written(store: VaultStore, plain: Buffer, reserveBytes = 0) {
  const recordingId = randomUUID();
  const w = await createRecordingWriter({
    store,
    keyring,
    signer,
    recordingId,
    tenantId: TENANT,
    deviceId: DEVICE,
    chunkSize: CHUNK,
    segmentMaxBytes: 3 * CHUNK,
    reserveBytes,
  });
  for (let off = 0; off < plain.length; off += 700) await w.write(plain.subarray(off, off + 700));
  return { recordingId, w };
}

const seal = (store: VaultStore, recordingId: string) =>
  sealPrefixOnDisk({
    store,
    keyring,
    signer,
    tenantId: TENANT,
    recordingId,
    deviceId: DEVICE,
    mediaType: 'video/webm',
    startedAt: 1_700_000_000_000,
    stoppedAt: 1_700_000_010_000,
    cut: 'sfu_restart',
  });

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('sealing a prefix', () => {
  it('the writer seals a cut recording with its final chunk and says so in the signed manifest', async () => {
    const store = memoryStore();
    const plain = randomBytes(10 * CHUNK + 77);
    const { recordingId, w } = await written(store, plain, 4096);
    const { manifest } = await w.seal({
      cut: 'ffmpeg_exit',
      continues: { recordingId: randomUUID(), reason: 'worker_died' },
    });
    expect(manifest.cut).toEqual({ reason: 'ffmpeg_exit', finalChunk: true });
    expect(manifest.continues?.reason).toBe('worker_died');
    expect(store.objects.has(reserveObject(TENANT, recordingId))).toBe(false);
    const report = await verifyRecording({ store, keyring, tenantId: TENANT, recordingId, verifier });
    expect(report).toMatchObject({ status: 'complete', signed: true, plaintextSha256: sha(plain) });
  });

  it('a torn record after a crash is truncated; the manifest signs the whole chunks before it', async () => {
    const store = memoryStore();
    const plain = randomBytes(10 * CHUNK + 300);
    const { recordingId } = await written(store, plain, 4096);
    // the writer holds the 300-byte rest in memory; the process dies with a record half written
    const segs = [...store.objects.keys()].filter((k) => k.includes('/seg-')).sort();
    const last = segs[segs.length - 1]!;
    const before = store.objects.get(last)!.length;
    store.objects.set(last, Buffer.concat([store.objects.get(last)!, randomBytes(recordBytes(CHUNK) - 9)]));
    expect((await openRecording({ store, keyring, tenantId: TENANT, recordingId })).status).toBe(
      'incomplete',
    );

    const sealed = await seal(store, recordingId);
    expect(sealed?.truncatedBytes).toBe(recordBytes(CHUNK) - 9);
    expect(store.objects.get(last)!.length).toBe(before);
    expect(sealed?.manifest).toMatchObject({
      chunkCount: 10,
      plaintextBytes: 10 * CHUNK,
      plaintextSha256: sha(plain.subarray(0, 10 * CHUNK)),
      cut: { reason: 'sfu_restart', finalChunk: false },
    });
    expect(store.objects.has(reserveObject(TENANT, recordingId))).toBe(false);
    const report = await verifyRecording({ store, keyring, tenantId: TENANT, recordingId, verifier });
    expect(report).toMatchObject({ status: 'complete', signed: true, plaintextBytes: 10 * CHUNK });
    // sealing again is refused: the first seal stands
    await expect(seal(store, recordingId)).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('a sealed prefix cut further (a whole chunk removed) fails against its manifest', async () => {
    const store = memoryStore();
    const { recordingId } = await written(store, randomBytes(11 * CHUNK + 5));
    await seal(store, recordingId);
    const segs = [...store.objects.keys()].filter((k) => k.includes('/seg-')).sort();
    const last = segs[segs.length - 1]!;
    const b = store.objects.get(last)!;
    store.objects.set(last, b.subarray(0, b.length - recordBytes(CHUNK)));
    await expect(
      verifyRecording({ store, keyring, tenantId: TENANT, recordingId, verifier }),
    ).rejects.toMatchObject({ code: 'tampered' } satisfies Partial<VaultError>);
  });

  it('a segment cut within its header is removed; a changed chunk inside is refused, not cut away', async () => {
    const store = memoryStore();
    const { recordingId } = await written(store, randomBytes(6 * CHUNK + 1));
    // the writer opened segment 2 and died after 20 bytes of its header
    store.objects.set(segmentObject(TENANT, recordingId, 'seg-000002.lbv'), randomBytes(20));
    const sealed = await seal(store, recordingId);
    expect(sealed?.manifest.segments.length).toBe(2);
    expect(store.objects.has(segmentObject(TENANT, recordingId, 'seg-000002.lbv'))).toBe(false);
    await verifyRecording({ store, keyring, tenantId: TENANT, recordingId, verifier });

    const other = await written(store, randomBytes(6 * CHUNK + 1));
    const seg0 = segmentObject(TENANT, other.recordingId, 'seg-000000.lbv');
    store.objects.get(seg0)![100]! ^= 1;
    await expect(seal(store, other.recordingId)).rejects.toMatchObject({ code: 'tampered' });
  });

  it('a full disk (ENOSPC): the writer breaks cleanly, its reserve makes room for the manifest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lagebild-vault-prefix-'));
    dirs.push(dir);
    const folder = localFolderStore(dir);
    let full = false;
    // the folder store, whose appends fail once the "disk" is full, after writing half of the data
    const store: VaultStore = {
      ...folder,
      async create(key) {
        const h = await folder.create(key);
        return {
          ...h,
          async append(data) {
            if (!full) return h.append(data);
            await h.append(data.subarray(0, data.length - 100));
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          },
        };
      },
    };
    const plain = randomBytes(8 * CHUNK);
    const { recordingId, w } = await written(store, plain, 8192);
    full = true;
    await expect(w.write(randomBytes(3 * CHUNK))).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(w.broken).toBe(true);
    await expect(w.write(randomBytes(10))).rejects.toMatchObject({ code: 'invalid_state' });
    await w.abort();
    const sealed = await seal(store, recordingId);
    expect(sealed?.truncatedBytes).toBeGreaterThan(0);
    expect(sealed?.manifest.plaintextSha256).toBe(sha(plain.subarray(0, sealed!.manifest.plaintextBytes)));
    expect(sealed!.manifest.plaintextBytes).toBeGreaterThanOrEqual(7 * CHUNK);
    const names = await readdir(join(dir, TENANT, recordingId));
    // no reserve, no temporary file: the key, the manifest and whole segments only
    for (const n of names) expect(n).toMatch(/^(key\.json|manifest\.(json|sig)|seg-\d{6}\.lbv)$/);
    expect((await stat(join(dir, manifestObject(TENANT, recordingId)))).size).toBeGreaterThan(0);
    const report = await verifyRecording({ store: folder, keyring, tenantId: TENANT, recordingId, verifier });
    expect(report.status).toBe('complete');
  });

  it('nothing whole on disk: nothing is sealed', async () => {
    const store = memoryStore();
    const { recordingId } = await written(store, randomBytes(CHUNK - 1));
    expect(await seal(store, recordingId)).toBeNull();
  });
});
