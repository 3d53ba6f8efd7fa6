/**
 * The recording format under attack: every byte flipped, truncation at every kind of position,
 * reordered and foreign chunks and segments, wrong keys, key rotation, a writer killed midway.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createKeyring,
  createRecordingWriter,
  FLAG_FINAL,
  HEADER_BYTES,
  keyObject,
  manifestObject,
  memoryStore,
  openRecording,
  recordBytes,
  rotateTenantKey,
  segmentObject,
  signatureObject,
  type VaultError,
  verifyRecording,
} from './index.ts';
import { CHUNK, DEVICE, ringFile, signer, TENANT, verifier } from './test-fixture.ts';

async function record(opts: {
  store: ReturnType<typeof memoryStore>;
  keyring: ReturnType<typeof createKeyring>;
  plain: Buffer;
  seal?: boolean;
  segmentMaxBytes?: number;
}) {
  const recordingId = randomUUID();
  const w = await createRecordingWriter({
    store: opts.store,
    keyring: opts.keyring,
    signer,
    recordingId,
    tenantId: TENANT,
    deviceId: DEVICE,
    chunkSize: CHUNK,
    segmentMaxBytes: opts.segmentMaxBytes ?? 3 * CHUNK,
    startedAt: 1_700_000_000_000,
  });
  // uneven pieces, as a muxer writes them
  for (let off = 0; off < opts.plain.length; ) {
    const n = Math.min(1 + ((off * 7919) % 2500), opts.plain.length - off);
    await w.write(opts.plain.subarray(off, off + n));
    off += n;
  }
  if (opts.seal === false) await w.abort();
  else await w.seal({ stoppedAt: 1_700_000_010_000 });
  return recordingId;
}

async function readAll(
  store: ReturnType<typeof memoryStore>,
  keyring: ReturnType<typeof createKeyring>,
  id: string,
) {
  const r = await openRecording({ store, keyring, tenantId: TENANT, recordingId: id, verifier });
  const parts: Buffer[] = [];
  for await (const b of r.readAll()) parts.push(b as Buffer);
  return { r, data: Buffer.concat(parts) };
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as VaultError).code ?? 'error';
  }
  return 'ok';
}

const verify = (
  store: ReturnType<typeof memoryStore>,
  keyring: ReturnType<typeof createKeyring>,
  id: string,
) => verifyRecording({ store, keyring, tenantId: TENANT, recordingId: id, verifier });

describe('recording round trip', () => {
  it('decrypts to the same bytes, in segments, with a signed manifest', async () => {
    const store = memoryStore();
    const keyring = createKeyring(ringFile());
    const plain = randomBytes(10 * CHUNK + 123);
    const id = await record({ store, keyring, plain });
    const { r, data } = await readAll(store, keyring, id);
    expect(data.equals(plain)).toBe(true);
    expect(r.status).toBe('complete');
    expect(r.segments.length).toBe(4);
    expect(r.manifest?.chunkCount).toBe(11);
    const rep = await verify(store, keyring, id);
    expect(rep).toMatchObject({ status: 'complete', signed: true, plaintextBytes: plain.length });
  });

  it('serves any byte range by seeking to its chunk', async () => {
    const store = memoryStore();
    const keyring = createKeyring(ringFile());
    const plain = randomBytes(7 * CHUNK + 5);
    const id = await record({ store, keyring, plain });
    const r = await openRecording({ store, keyring, tenantId: TENANT, recordingId: id, verifier });
    const ranges = [
      [0, 0],
      [0, CHUNK - 1],
      [CHUNK - 1, CHUNK],
      [3 * CHUNK + 17, 5 * CHUNK + 3],
      [plain.length - 1, plain.length - 1],
      [100, plain.length - 1],
    ];
    for (const [a, b] of ranges) {
      const parts: Buffer[] = [];
      for await (const x of r.readRange(a!, b!)) parts.push(x as Buffer);
      expect(Buffer.concat(parts).equals(plain.subarray(a!, b! + 1))).toBe(true);
    }
  });

  it('never stores plaintext: no 32-byte window of the video appears in any object', async () => {
    const store = memoryStore();
    const keyring = createKeyring(ringFile());
    const plain = randomBytes(5 * CHUNK);
    await record({ store, keyring, plain });
    for (const [, obj] of store.objects) {
      for (let off = 0; off + 32 <= plain.length; off += 512)
        expect(obj.includes(plain.subarray(off, off + 32))).toBe(false);
    }
  });

  it('handles an empty recording and one of exactly whole chunks', async () => {
    for (const n of [0, CHUNK, 3 * CHUNK]) {
      const store = memoryStore();
      const keyring = createKeyring(ringFile());
      const plain = randomBytes(n);
      const id = await record({ store, keyring, plain });
      const rep = await verify(store, keyring, id);
      expect(rep.status).toBe('complete');
      expect(rep.plaintextBytes).toBe(n);
    }
  });
});

describe('tamper detection', () => {
  it('detects a flipped bit at every byte of every segment (headers, flags, ciphertext, tags)', async () => {
    const store = memoryStore();
    const keyring = createKeyring(ringFile());
    const id = await record({
      store,
      keyring,
      plain: randomBytes(4 * CHUNK + 10),
      segmentMaxBytes: 2 * CHUNK,
    });
    const segs = [...store.objects.keys()].filter((k) => k.endsWith('.lbv'));
    expect(segs.length).toBe(3);
    let flips = 0;
    let total = 0;
    for (const key of segs) {
      total += store.objects.get(key)!.length;
      const orig = store.objects.get(key)!;
      for (let i = 0; i < orig.length; i++) {
        const bad = Buffer.from(orig);
        bad[i]! ^= 1 << (i % 8);
        store.objects.set(key, bad);
        const code = await failure(verify(store, keyring, id));
        if (code === 'ok') throw new Error(`flip at byte ${i} of ${key} went unnoticed`);
        flips++;
      }
      store.objects.set(key, orig);
    }
    expect(flips).toBe(total);
    expect(await failure(verify(store, keyring, id))).toBe('ok');
  });

  it('detects a flipped byte in the manifest, its signature and the wrapped key', async () => {
    const store = memoryStore();
    const keyring = createKeyring(ringFile());
    const id = await record({ store, keyring, plain: randomBytes(2 * CHUNK) });
    for (const key of [manifestObject(TENANT, id), signatureObject(TENANT, id), keyObject(TENANT, id)]) {
      const orig = store.objects.get(key)!;
      for (const i of [0, 1, Math.floor(orig.length / 2), orig.length - 2]) {
        const bad = Buffer.from(orig);
        bad[i]! ^= 0x04;
        store.objects.set(key, bad);
        expect(await failure(verify(store, keyring, id)), `${key}@${i}`).not.toBe('ok');
      }
      store.objects.set(key, orig);
    }
  });

  it('reports truncation of a sealed recording at every position class, never a shorter video', async () => {
    const store = memoryStore();
    const keyring = createKeyring(ringFile());
    const id = await record({
      store,
      keyring,
      plain: randomBytes(5 * CHUNK + 300),
      segmentMaxBytes: 2 * CHUNK,
    });
    const lastKey = segmentObject(TENANT, id, 'seg-000002.lbv');
    const orig = store.objects.get(lastKey)!;
    const rec = recordBytes(CHUNK);
    const cuts = [
      0,
      10,
      HEADER_BYTES,
      HEADER_BYTES + 1,
      HEADER_BYTES + rec,
      HEADER_BYTES + rec + 200,
      orig.length - 1,
    ];
    expect(Math.max(...cuts)).toBeLessThan(orig.length);
    for (const cut of cuts) {
      store.objects.set(lastKey, orig.subarray(0, cut));
      const code = await failure(verify(store, keyring, id));
      expect(['incomplete', 'tampered'], `cut at ${cut}`).toContain(code);
    }
    store.objects.delete(lastKey);
    expect(['incomplete', 'tampered']).toContain(await failure(verify(store, keyring, id)));
  });

  it('refuses reordered chunks and reordered segments', async () => {
    const store = memoryStore();
    const keyring = createKeyring(ringFile());
    const id = await record({
      store,
      keyring,
      plain: randomBytes(6 * CHUNK + 1),
      segmentMaxBytes: 3 * CHUNK,
    });
    const key = segmentObject(TENANT, id, 'seg-000000.lbv');
    const orig = store.objects.get(key)!;
    const rec = recordBytes(CHUNK);
    const swapped = Buffer.from(orig);
    orig.copy(swapped, HEADER_BYTES, HEADER_BYTES + rec, HEADER_BYTES + 2 * rec);
    orig.copy(swapped, HEADER_BYTES + rec, HEADER_BYTES, HEADER_BYTES + rec);
    store.objects.set(key, swapped);
    expect(await failure(verify(store, keyring, id))).toBe('tampered');
    store.objects.set(key, orig);
    const k1 = segmentObject(TENANT, id, 'seg-000001.lbv');
    const s1 = store.objects.get(k1)!;
    store.objects.set(k1, orig);
    store.objects.set(key, s1);
    expect(await failure(verify(store, keyring, id))).toBe('tampered');
  });

  it('refuses chunks, segments and keys spliced in from another recording', async () => {
    const store = memoryStore();
    const keyring = createKeyring(ringFile());
    const a = await record({ store, keyring, plain: randomBytes(4 * CHUNK) });
    const b = await record({ store, keyring, plain: randomBytes(4 * CHUNK) });
    const ka = segmentObject(TENANT, a, 'seg-000000.lbv');
    const kb = segmentObject(TENANT, b, 'seg-000000.lbv');
    const sa = store.objects.get(ka)!;
    const sb = store.objects.get(kb)!;
    const rec = recordBytes(CHUNK);
    const spliced = Buffer.from(sa);
    sb.copy(spliced, HEADER_BYTES + rec, HEADER_BYTES + rec, HEADER_BYTES + 2 * rec);
    store.objects.set(ka, spliced);
    expect(await failure(verify(store, keyring, a))).toBe('tampered');
    store.objects.set(ka, sb);
    expect(await failure(verify(store, keyring, a))).toBe('tampered');
    store.objects.set(ka, sa);
    const keyA = store.objects.get(keyObject(TENANT, a))!;
    store.objects.set(keyObject(TENANT, a), store.objects.get(keyObject(TENANT, b))!);
    expect(await failure(verify(store, keyring, a))).toBe('wrong_key');
    store.objects.set(keyObject(TENANT, a), keyA);
    expect(await failure(verify(store, keyring, a))).toBe('ok');
  });
});

describe('keys', () => {
  it('fails cleanly with the wrong key-encryption key or an unknown tenant', async () => {
    const store = memoryStore();
    const keyring = createKeyring(ringFile());
    const id = await record({ store, keyring, plain: randomBytes(CHUNK) });
    expect(await failure(verify(store, createKeyring(ringFile()), id))).toBe('wrong_key');
    const other = createKeyring({ format: 'lagebild-keyring/1', tenants: {} });
    expect(await failure(verify(store, other, id))).toBe('unknown_key');
  });

  it('rotation: new recordings use the new key, old ones stay readable', async () => {
    const store = memoryStore();
    const file = ringFile();
    const before = await record({ store, keyring: createKeyring(file), plain: randomBytes(CHUNK + 1) });
    expect(rotateTenantKey(file, TENANT)).toBe('k2');
    const keyring = createKeyring(file);
    const after = await record({ store, keyring, plain: randomBytes(CHUNK + 1) });
    const mb = (await openRecording({ store, keyring, tenantId: TENANT, recordingId: before })).manifest;
    const ma = (await openRecording({ store, keyring, tenantId: TENANT, recordingId: after })).manifest;
    expect([mb?.kekId, ma?.kekId]).toEqual(['k1', 'k2']);
    expect((await verify(store, keyring, before)).status).toBe('complete');
    // retiring k1 (only after re-wrapping) would make old recordings unreadable, and says so
    delete file.tenants[TENANT]!.keys.k1;
    expect(await failure(verify(store, createKeyring(file), before))).toBe('unknown_key');
    expect((await verify(store, createKeyring(file), after)).status).toBe('complete');
  });
});

describe('a writer that dies midway', () => {
  it('leaves a decryptable prefix marked incomplete', async () => {
    const store = memoryStore();
    const keyring = createKeyring(ringFile());
    const plain = randomBytes(7 * CHUNK + 77);
    const id = await record({ store, keyring, plain, seal: false });
    const { r, data } = await readAll(store, keyring, id);
    expect(r.status).toBe('incomplete');
    expect(r.manifest).toBeNull();
    // the chunk still being filled is lost; everything sealed before it decrypts
    expect(data.length).toBe(7 * CHUNK);
    expect(data.equals(plain.subarray(0, data.length))).toBe(true);
  });

  it('treats a record cut by the crash as the end of the prefix', async () => {
    const store = memoryStore();
    const keyring = createKeyring(ringFile());
    const plain = randomBytes(4 * CHUNK + 2);
    const id = await record({ store, keyring, plain, seal: false, segmentMaxBytes: 100 * CHUNK });
    const key = segmentObject(TENANT, id, 'seg-000000.lbv');
    const full = store.objects.get(key)!;
    store.objects.set(key, full.subarray(0, full.length - 100));
    const { r, data } = await readAll(store, keyring, id);
    expect(r.status).toBe('incomplete');
    expect(data.equals(plain.subarray(0, 3 * CHUNK))).toBe(true);
    expect(full[HEADER_BYTES]).not.toBe(FLAG_FINAL);
  });
});
