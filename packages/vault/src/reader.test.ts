/**
 * The reader's stream (issue 17): records are read many at a time into one buffer the stream reuses
 * and opened into plaintext buffers of many chunks that the consumer owns; every chunk is
 * authenticated before its bytes go out, a file that changes under the reader is an error, and the
 * stream reads only as fast as its consumer takes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HEADER_BYTES,
  localFolderStore,
  memoryStore,
  type ReadHandle,
  recordBytes,
  segmentObject,
  type VaultError,
  type VaultStore,
} from './index.ts';
import { CHUNK, segmentedRecording, TENANT } from './test-fixture.ts';

// 5,000 chunks over 3 segments: several reads per segment, more than two 1 MiB buffers' worth
const { plain: PLAIN, write, open } = segmentedRecording();
let dir = '';

/** every buffer as the stream gave it (no copy), and its error code if it failed */
async function drain(stream: Readable): Promise<{ parts: Buffer[]; code: string | null; message: string }> {
  const parts: Buffer[] = [];
  try {
    for await (const b of stream) parts.push(b as Buffer);
  } catch (err) {
    return { parts, code: (err as VaultError).code ?? 'error', message: (err as Error).message };
  }
  return { parts, code: null, message: '' };
}

/** the same through 'data' events (flowing mode, as `pipe` reads) */
function dataEvents(stream: Readable): Promise<{ parts: Buffer[]; code: string | null; message: string }> {
  const parts: Buffer[] = [];
  return new Promise((resolve) => {
    stream.on('data', (b: Buffer) => parts.push(b));
    stream.on('error', (err) =>
      resolve({ parts, code: (err as VaultError).code ?? 'error', message: err.message }),
    );
    stream.on('end', () => resolve({ parts, code: null, message: '' }));
  });
}

/** a store that counts its read handles and reads (and may lack openRead, as a store may) */
function counting(inner: VaultStore, withOpenRead = true) {
  const n = { opened: 0, closed: 0, reads: 0 };
  const store: VaultStore = { ...inner, openRead: undefined };
  if (withOpenRead) {
    store.openRead = async (key) => {
      const h = await inner.openRead!(key);
      n.opened++;
      return {
        read: (...args: Parameters<ReadHandle['read']>) => {
          n.reads++;
          return h.read(...args);
        },
        close: async () => {
          n.closed++;
          await h.close();
        },
      };
    };
  } else {
    store.read = (key, offset, length) => {
      n.reads++;
      return inner.read(key, offset, length);
    };
  }
  return { store, n };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lagebild-vault-reader-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('reader stream', () => {
  it('gives buffers of many chunks, each the consumer’s own (none is overwritten by later reads)', async () => {
    for (const store of [localFolderStore(join(dir, 'a')), memoryStore()]) {
      const r = await open(store, await write(store));
      expect(r.segments.length).toBe(3);
      const { parts, code } = await drain(r.readAll());
      expect(code).toBeNull();
      // compared only after the whole stream: a buffer reused by the reader would have changed
      expect(Buffer.concat(parts).equals(PLAIN)).toBe(true);
      expect(Math.max(...parts.map((p) => p.length))).toBeGreaterThan(CHUNK);
      expect(Math.max(...parts.map((p) => p.length))).toBeLessThanOrEqual(1024 * 1024);
      expect(parts.length).toBeLessThan(PLAIN.length / CHUNK / 10);
      expect(new Set(parts.map((p) => p.buffer)).size).toBe(parts.length);
    }
  });

  it('serves ranges that start and end inside groups, reads and segments', async () => {
    const store = memoryStore();
    const r = await open(store, await write(store));
    const last = PLAIN.length - 1;
    for (const [a, b] of [
      [0, last],
      [1, last - 1],
      [1023 * CHUNK + 7, 1025 * CHUNK + 3], // across a plaintext group and a read
      [2199 * CHUNK + 1, 2201 * CHUNK], // across a segment
      [700 * CHUNK, 4100 * CHUNK - 1],
      [4999 * CHUNK + 5, last],
      [last, last],
      [1234, 1234],
    ] as const) {
      const { parts, code } = await drain(r.readRange(a, b));
      expect(code).toBeNull();
      expect(Buffer.concat(parts).equals(PLAIN.subarray(a, b + 1))).toBe(true);
    }
  });

  it('a changed chunk inside a group: the chunks before it come out, then `tampered`, no byte of it', async () => {
    for (const store of [localFolderStore(join(dir, 'b')), memoryStore()]) {
      const id = await write(store);
      const bad = 1100; // inside the second group (and read) of the first segment
      const key = segmentObject(TENANT, id, 'seg-000000.lbv');
      const seg = (await store.get(key))!;
      seg[HEADER_BYTES + bad * recordBytes(CHUNK) + 1 + 100]! ^= 0x40; // one ciphertext byte
      await store.put(key, seg);
      // as a pipe (an HTTP response) takes it: 'data' events, flowing
      const flowing = await dataEvents((await open(store, id)).readAll());
      expect(flowing.code).toBe('tampered');
      expect(flowing.message).toMatch(/chunk 1100 .*failed authentication/);
      expect(Buffer.concat(flowing.parts).equals(PLAIN.subarray(0, bad * CHUNK))).toBe(true);
      // an async iterator drops what is buffered when the stream fails: a prefix, never more
      const iterated = await drain((await open(store, id)).readAll());
      expect(iterated.code).toBe('tampered');
      const got = Buffer.concat(iterated.parts);
      expect(got.length).toBeLessThanOrEqual(bad * CHUNK);
      expect(got.equals(PLAIN.subarray(0, got.length))).toBe(true);
      // GCM is a stream cipher: the failing chunk decrypts to its plaintext but for one byte. None of
      // it may be anywhere the consumer can reach, not even past the end of a view it was given.
      const window = PLAIN.subarray(bad * CHUNK + 200, bad * CHUNK + 264);
      for (const p of [...flowing.parts, ...iterated.parts])
        expect(Buffer.from(p.buffer).includes(window)).toBe(false);
    }
  });

  it('a segment cut after the recording was opened is an error, never a shorter video', async () => {
    for (const store of [localFolderStore(join(dir, 'c')), memoryStore()]) {
      const id = await write(store);
      const r = await open(store, id);
      await store.truncate(
        segmentObject(TENANT, id, 'seg-000001.lbv'),
        HEADER_BYTES + 500 * recordBytes(CHUNK) + 7,
      );
      const { parts, code, message } = await drain(r.readAll());
      expect(code).toBe('tampered');
      expect(message).toMatch(/seg-000001\.lbv ends at byte/);
      expect(Buffer.concat(parts).equals(PLAIN.subarray(0, Buffer.concat(parts).length))).toBe(true);
      expect(Buffer.concat(parts).length).toBeLessThanOrEqual(2700 * CHUNK);
    }
  });

  it('reads only as the consumer asks, and closes every segment it opened', async () => {
    const { store, n } = counting(localFolderStore(join(dir, 'd')));
    const id = await write(store);
    const r = await open(store, id);
    const stream = r.readAll();
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    expect((first.value as Buffer).equals(PLAIN.subarray(0, (first.value as Buffer).length))).toBe(true);
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    // a consumer that took one group and stopped has caused its read and one read ahead (the group
    // waiting in the stream's buffer), not the whole recording's
    expect(n.reads).toBe(2);
    stream.destroy();
    await new Promise((resolve) => stream.once('close', resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(n).toMatchObject({ opened: 1, closed: 1 });

    const all = await drain((await open(store, id)).readAll());
    expect(Buffer.concat(all.parts).equals(PLAIN)).toBe(true);
    expect(n.opened).toBe(1 + 3);
    expect(n.closed).toBe(n.opened);
  });

  it('reads a store without read handles through its read()', async () => {
    const { store, n } = counting(memoryStore(), false);
    const id = await write(store);
    const { parts, code } = await drain((await open(store, id)).readAll());
    expect(code).toBeNull();
    expect(Buffer.concat(parts).equals(PLAIN)).toBe(true);
    expect(n.reads).toBeGreaterThan(3);
  });
});

describe('reader cursor (readInto)', () => {
  /** everything of [a, b] through one buffer of `size` bytes, copied out after each call */
  async function pull(r: Awaited<ReturnType<typeof open>>, a: number, b: number, size: number) {
    const cursor = r.cursor(a, b);
    const buf = Buffer.alloc(size);
    const parts: Buffer[] = [];
    for (let n = await cursor.readInto(buf); n > 0; n = await cursor.readInto(buf)) {
      parts.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(parts);
  }

  it('fills buffers of any size, ranges cut inside chunks, reads and segments', async () => {
    const store = memoryStore();
    const r = await open(store, await write(store));
    const last = PLAIN.length - 1;
    for (const [a, b, size] of [
      [0, last, 1024 * 1024],
      [0, last, 1024 * 1024 + 7],
      [1, last - 1, 777], // smaller than a chunk: every chunk through the read buffer
      [1023 * CHUNK + 7, 1025 * CHUNK + 3, 1],
      [2150 * CHUNK + 1, 2250 * CHUNK, CHUNK + 5], // across the first segment's end
      [4999 * CHUNK + 5, last, 64 * 1024],
      [last, last, 3],
    ] as const) {
      expect((await pull(r, a, b, size)).equals(PLAIN.subarray(a, b + 1))).toBe(true);
    }
  });

  it('a changed chunk: the bytes before it, nothing of it in the buffer, then `tampered`', async () => {
    const store = memoryStore();
    const id = await write(store);
    const bad = 1100; // in the second buffer's worth of chunks
    const key = segmentObject(TENANT, id, 'seg-000000.lbv');
    const seg = (await store.get(key))!;
    seg[HEADER_BYTES + bad * recordBytes(CHUNK) + 1 + 100]! ^= 0x40;
    await store.put(key, seg);
    const cursor = (await open(store, id)).cursor(0, PLAIN.length - 1);
    const buf = Buffer.alloc(1024 * CHUNK, 0xaa);
    expect(await cursor.readInto(buf)).toBe(buf.length);
    expect(buf.equals(PLAIN.subarray(0, buf.length))).toBe(true);
    const n = await cursor.readInto(buf);
    expect(n).toBe((bad - 1024) * CHUNK);
    expect(buf.subarray(0, n).equals(PLAIN.subarray(1024 * CHUNK, bad * CHUNK))).toBe(true);
    // the failing chunk's place and everything after it: zeros, not its plaintext, not older bytes
    expect(buf.subarray(n).every((x) => x === 0)).toBe(true);
    await expect(cursor.readInto(buf)).rejects.toMatchObject({ code: 'tampered' });
    await expect(cursor.readInto(buf)).rejects.toMatchObject({ code: 'tampered' });
  });

  it('closes its segment file on close() and at the end, and refuses overlapping calls', async () => {
    const { store, n } = counting(localFolderStore(join(dir, 'e')));
    const id = await write(store);
    const r = await open(store, id);
    const early = r.cursor(0, PLAIN.length - 1);
    const buf = Buffer.alloc(4096);
    const pending = early.readInto(buf);
    await expect(early.readInto(buf)).rejects.toMatchObject({ code: 'invalid_state' });
    await pending;
    await early.close();
    expect(await early.readInto(buf)).toBe(0);
    expect(n.closed).toBe(n.opened);
    expect((await pull(r, 0, PLAIN.length - 1, 1024 * 1024)).equals(PLAIN)).toBe(true);
    expect(n.opened).toBe(1 + 3);
    expect(n.closed).toBe(n.opened);
  });
});
