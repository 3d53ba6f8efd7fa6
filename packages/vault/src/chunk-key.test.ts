/**
 * The native AES-256-GCM binding and node:crypto are two ways to the same records (issue 17): the
 * writer and reader use the binding when it is built, and every recording must open either way. A
 * secret KeyObject takes the node:crypto path, a key from `createChunkKey` the binding's.
 */
import { execFileSync } from 'node:child_process';
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createChunkKey, destroyChunkKey, isNativeChunkKey } from './chunk-key.ts';
import type { VaultError } from './errors.ts';
import {
  FLAG_FINAL,
  FLAG_MORE,
  openChunk,
  openRecordInto,
  type SegmentHeader,
  sealChunk,
  sealChunkInto,
} from './format.ts';
import { nativeGcm } from './native-gcm.ts';

const header: SegmentHeader = {
  recordingId: randomUUID(),
  segment: 3,
  chunkSize: 4096,
  firstChunk: 7,
  noncePrefix: randomBytes(4),
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as VaultError).code ?? 'error';
  }
  return 'ok';
}

describe('chunk keys', () => {
  it('LAGEBILD_VAULT_NATIVE=0 turns the binding off (the fallback the vault runs without it)', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { nativeGcm } from ${JSON.stringify(`${import.meta.dirname}/native-gcm.ts`)}; console.log(nativeGcm === null)`,
      ],
      { env: { ...process.env, LAGEBILD_VAULT_NATIVE: '0' }, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('true');
  });

  it.skipIf(!nativeGcm)(
    'the binding seals exactly the bytes node:crypto seals, and each opens the other',
    () => {
      const raw = randomBytes(32);
      const native = createChunkKey(raw);
      const node = createSecretKey(raw);
      expect(isNativeChunkKey(native)).toBe(true);
      for (const [index, flag, size] of [
        [7, FLAG_MORE, 4096],
        [8, FLAG_FINAL, 1],
        [9, FLAG_FINAL, 0],
        [2 ** 40 + 5, FLAG_FINAL, 1000], // a chunk index above 32 bits reaches the nonce and the AAD
      ] as const) {
        const plain = randomBytes(size);
        const a = sealChunk(native, header, index, flag, plain);
        const b = sealChunk(node, header, index, flag, plain);
        expect(a.equals(b)).toBe(true);
        expect(openChunk(node, header, index, a).plain.equals(plain)).toBe(true);
        expect(openChunk(native, header, index, b).plain.equals(plain)).toBe(true);
      }
      // into a shared buffer at an offset, as the writer batches records
      const plain = randomBytes(4096);
      const out = Buffer.alloc(3 + 4096 + 17);
      sealChunkInto(native, header, 7, FLAG_MORE, plain, out, 3);
      expect(out.subarray(3).equals(sealChunk(node, header, 7, FLAG_MORE, plain))).toBe(true);
    },
  );

  it.skipIf(!nativeGcm)(
    'in place: the plaintext is a view of the record; a changed byte, index or key fails',
    () => {
      const raw = randomBytes(32);
      const key = createChunkKey(raw);
      const plain = randomBytes(4096);
      const record = sealChunk(key, header, 7, FLAG_MORE, plain);
      const copy = Buffer.from(record);
      const opened = openChunk(key, header, 7, record, true);
      expect(opened.plain.equals(plain)).toBe(true);
      expect(opened.plain.buffer).toBe(record.buffer);
      // not in place: the record keeps its ciphertext
      openChunk(key, header, 7, copy);
      expect(copy.equals(sealChunk(key, header, 7, FLAG_MORE, plain))).toBe(true);

      for (const at of [0, 1, 2000, copy.length - 1]) {
        const bad = Buffer.from(copy);
        bad[at]! ^= 1;
        expect(codeOf(() => openChunk(key, header, 7, bad, true))).toBe('tampered');
      }
      expect(codeOf(() => openChunk(key, header, 8, Buffer.from(copy), true))).toBe('tampered');
      expect(codeOf(() => openChunk(createChunkKey(randomBytes(32)), header, 7, Buffer.from(copy)))).toBe(
        'tampered',
      );
    },
  );

  it('openRecordInto: a record out of a larger buffer into another at an offset, both ways; a failure leaves no unauthenticated byte', () => {
    const raw = randomBytes(32);
    const keys = nativeGcm ? [createChunkKey(raw), createSecretKey(raw)] : [createSecretKey(raw)];
    const plain = randomBytes(4096);
    const last = randomBytes(33);
    const src = Buffer.concat([
      randomBytes(5),
      sealChunk(keys[0]!, header, 7, FLAG_MORE, plain),
      sealChunk(keys[0]!, header, 8, FLAG_FINAL, last),
    ]);
    for (const key of keys) {
      const out = Buffer.alloc(10 + 4096 + 33, 0xaa);
      expect(openRecordInto(key, header, 7, src, 5, 4096 + 17, out, 10)).toBe(FLAG_MORE);
      expect(openRecordInto(key, header, 8, src, 5 + 4096 + 17, 33 + 17, out, 10 + 4096)).toBe(FLAG_FINAL);
      expect(out.subarray(10).equals(Buffer.concat([plain, last]))).toBe(true);
      expect(out.subarray(0, 10).equals(Buffer.alloc(10, 0xaa))).toBe(true);

      const bad = Buffer.from(src);
      bad[5 + 1 + 1000]! ^= 1; // one ciphertext byte: GCM would yield the rest of the plaintext
      const into = Buffer.alloc(4096 + 20, 0xaa);
      expect(codeOf(() => openRecordInto(key, header, 7, bad, 5, 4096 + 17, into, 10))).toBe('tampered');
      expect(into.includes(plain.subarray(2000, 2064))).toBe(false);
      expect(into.subarray(0, 10).equals(Buffer.alloc(10, 0xaa))).toBe(true);
      // the wrong index, a short chunk not flagged final, a record beyond the buffer
      expect(codeOf(() => openRecordInto(key, header, 9, src, 5, 4096 + 17, into, 0))).toBe('tampered');
      expect(codeOf(() => openRecordInto(key, header, 7, src, 5, 4000, into, 0))).toBe('tampered');
      expect(codeOf(() => openRecordInto(key, header, 7, src, 5, src.length, into, 0))).toBe('invalid_state');
    }
  });

  it.skipIf(!nativeGcm)('in place, a record that fails holds zeros where its plaintext would be', () => {
    const key = createChunkKey(randomBytes(32));
    const plain = randomBytes(4096);
    const record = sealChunk(key, header, 7, FLAG_MORE, plain);
    record[record.length - 1]! ^= 1; // the tag
    expect(codeOf(() => openChunk(key, header, 7, record, true))).toBe('tampered');
    expect(record.subarray(1, 1 + 4096).equals(Buffer.alloc(4096))).toBe(true);
  });

  it.skipIf(!nativeGcm)('a destroyed key seals and opens nothing', () => {
    const key = createChunkKey(randomBytes(32));
    const record = sealChunk(key, header, 7, FLAG_FINAL, randomBytes(10));
    destroyChunkKey(key);
    expect(() => sealChunk(key, header, 8, FLAG_FINAL, randomBytes(10))).toThrow(/not an open/);
    expect(() => openChunk(key, header, 7, record)).toThrow(/not an open/);
  });
});
