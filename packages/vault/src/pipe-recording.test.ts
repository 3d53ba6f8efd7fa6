/**
 * The reader piped into a socket or an HTTP response (issue 17): the plaintext goes through two
 * buffers reused once the destination calls back, not a new buffer per push, and keeps every
 * property of the stream: only authenticated bytes, a changed chunk cuts the transfer before any
 * byte of it, the segment files are closed however it ends, and any other destination gets the
 * ordinary pipe (buffers it may keep).
 */
import { once } from 'node:events';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createExportBundle,
  HEADER_BYTES,
  loadManifest,
  memoryStore,
  type ReadHandle,
  recordBytes,
  segmentObject,
  type VaultStore,
} from './index.ts';
import { pipeRecording } from './pipe-recording.ts';
import { CHUNK, segmentedRecording, signer, TENANT, verifier } from './test-fixture.ts';

// 5,000 chunks over 3 segments: several reads per segment, more than two 1 MiB buffers' worth
const { plain: PLAIN, write, open } = segmentedRecording();

/** a store that counts the read handles it opened and closed */
function counting(inner: VaultStore) {
  const n = { opened: 0, closed: 0 };
  const store: VaultStore = {
    ...inner,
    openRead: async (key) => {
      const h = await inner.openRead!(key);
      n.opened++;
      return {
        read: (...args: Parameters<ReadHandle['read']>) => h.read(...args),
        close: async () => {
          n.closed++;
          await h.close();
        },
      };
    },
  };
  return { store, n };
}

/** an HTTP server whose handler pipes `make()` into its response, as fastify's reply.send(stream) does */
let server: Server;
let make: () => Readable;
let contentLength = PLAIN.length;
let served: Readable | null = null;
beforeAll(async () => {
  server = createServer((_req, res) => {
    served = make();
    res.setHeader('content-length', contentLength);
    served.on('error', () => res.destroy());
    served.pipe(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});
afterAll(async () => {
  server.close();
  await once(server, 'close');
});

/** GET the server; every part as received and whether the response was cut */
function fetchAll(stopAfter = Number.POSITIVE_INFINITY): Promise<{ body: Buffer; cut: boolean }> {
  const port = (server.address() as AddressInfo).port;
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let got = 0;
    get({ host: '127.0.0.1', port, path: '/' }, (res: IncomingMessage) => {
      res.on('data', (b: Buffer) => {
        parts.push(b);
        got += b.length;
        if (got >= stopAfter) res.destroy();
      });
      res.on('end', () => resolve({ body: Buffer.concat(parts), cut: false }));
      res.on('error', () => resolve({ body: Buffer.concat(parts), cut: true }));
      res.on('close', () => resolve({ body: Buffer.concat(parts), cut: !res.complete }));
    }).on('error', () => resolve({ body: Buffer.concat(parts), cut: true }));
  });
}

describe('reader piped into an HTTP response', () => {
  it('delivers the recording whole, ends the stream and closes every segment', async () => {
    const { store, n } = counting(memoryStore());
    const r = await open(store, await write(store));
    make = () => r.readAll();
    const { body, cut } = await fetchAll();
    expect(cut).toBe(false);
    expect(body.equals(PLAIN)).toBe(true);
    if (!served!.readableEnded) await once(served!, 'end');
    expect(n.opened).toBe(3);
    expect(n.closed).toBe(3);
  });

  it('a changed chunk: the client gets an authenticated prefix and a cut response, no byte of the chunk', async () => {
    const store = memoryStore();
    const id = await write(store);
    const bad = 2100; // past the first two 1 MiB buffers
    const key = segmentObject(TENANT, id, 'seg-000000.lbv');
    const seg = (await store.get(key))!;
    seg[HEADER_BYTES + bad * recordBytes(CHUNK) + 1 + 100]! ^= 0x40;
    await store.put(key, seg);
    const r = await open(store, id);
    let errored: Promise<unknown[]> | null = null;
    make = () => {
      const s = r.readAll();
      errored = once(s, 'error');
      return s;
    };
    const { body, cut } = await fetchAll();
    expect(cut).toBe(true);
    expect(((await errored!)[0] as Error).message).toMatch(/chunk 2100 .*failed authentication/);
    expect(body.length).toBeLessThanOrEqual(bad * CHUNK);
    expect(body.equals(PLAIN.subarray(0, body.length))).toBe(true);
    expect(body.includes(PLAIN.subarray(bad * CHUNK + 200, bad * CHUNK + 264))).toBe(false);
  });

  it('a client that goes away: the stream is destroyed and its segment files closed', async () => {
    const { store, n } = counting(memoryStore());
    const r = await open(store, await write(store));
    make = () => r.readAll();
    const { body, cut } = await fetchAll(100_000);
    expect(cut).toBe(true);
    expect(body.equals(PLAIN.subarray(0, body.length))).toBe(true);
    if (!served!.destroyed) await once(served!, 'close');
    else await new Promise((resolve) => setImmediate(resolve));
    expect(n.closed).toBe(n.opened);
  });
});

describe('export bundle piped into an HTTP response', () => {
  it('is the bundle byte for byte, its video written through the reader’s reused buffers', async () => {
    const store = memoryStore();
    const id = await write(store);
    const r = await open(store, id);
    const m = (await loadManifest(store, TENANT, id, verifier))!;
    const bundle = () =>
      createExportBundle({
        recording: r,
        manifestJson: m.json,
        signature: m.signature,
        manifestPublicKeyPem: signer.publicKeyPem,
        signer,
        exportedBy: 'duisburg.supervisor',
        recipient: 'StA Duisburg',
        reason: 'Anzeige',
        now: 1_700_000_000_000,
      });
    const parts: Buffer[] = [];
    const expected = bundle();
    for await (const b of expected.stream) parts.push(b as Buffer);
    const tar = Buffer.concat(parts);
    expect(tar.length).toBe(expected.size);
    expect(tar.includes(PLAIN.subarray(0, 4096))).toBe(true);
    contentLength = expected.size;
    make = () => bundle().stream;
    try {
      const { body, cut } = await fetchAll();
      expect(cut).toBe(false);
      // export.json is signed anew per bundle: the same bytes, as both were made with the same `now`
      expect(body.equals(tar)).toBe(true);
      if (!served!.readableEnded) await once(served!, 'end');
    } finally {
      contentLength = PLAIN.length;
    }
  });
});

describe('reader piped elsewhere', () => {
  it('into a PassThrough, which keeps what it is given: the ordinary pipe, every buffer its own', async () => {
    const store = memoryStore();
    const r = await open(store, await write(store));
    const through = new PassThrough({ highWaterMark: 64 * 1024 * 1024 });
    const done = new Promise((resolve, reject) =>
      pipeline(r.readAll(), through, (err) => (err ? reject(err) : resolve(null))),
    );
    await done;
    const parts: Buffer[] = [];
    for await (const b of through) parts.push(b as Buffer);
    expect(Buffer.concat(parts).equals(PLAIN)).toBe(true);
    expect(new Set(parts.map((p) => p.buffer)).size).toBe(parts.length);
  });

  it('pipeRecording writes a range through two buffers it reuses, each only after its callback', async () => {
    const store = memoryStore();
    const r = await open(store, await write(store));
    const [a, b] = [123, PLAIN.length - 77];
    const seen = new Set<ArrayBufferLike>();
    const parts: Buffer[] = [];
    const inFlight = new Set<ArrayBufferLike>();
    const sink = new PassThrough();
    // a destination that copies each chunk and calls back later; a buffer reused before its
    // callback would be seen twice in flight
    sink._write = (chunk: Buffer, _enc, cb) => {
      expect(inFlight.has(chunk.buffer)).toBe(false);
      inFlight.add(chunk.buffer);
      seen.add(chunk.buffer);
      parts.push(Buffer.from(chunk));
      setTimeout(() => {
        inFlight.delete(chunk.buffer);
        cb();
      }, 1);
    };
    await pipeRecording(r.cursor(a, b), sink, b - a + 1);
    expect(Buffer.concat(parts).equals(PLAIN.subarray(a, b + 1))).toBe(true);
    expect(seen.size).toBe(2);
    expect(parts.length).toBeGreaterThan(2);
  });
});
