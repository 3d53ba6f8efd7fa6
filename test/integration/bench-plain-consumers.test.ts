/**
 * The SFU's benchmark seam (issue 17, sfu/src/bench-plain-consumers.ts), which `bench:video
 * --capacity-receivers plain` uses to put 300 cheap consumers into the real SFU: it exists only with
 * SFU_BENCH_PLAIN_CONSUMERS=on (production refuses the setting: sfu/src/config.test.ts), only
 * behind the internal secret, sends only to loopback, and what it sends is real SRTP — each packet's
 * authentication tag verifies with the transport's key (RFC 3711), so the worker does the
 * encryption work the bench counts on — from consumers of the live unit with the SSRC and payload
 * type it reports, until they are deleted.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { freePort } from '@lagebild/infra/ports';
import type { ServiceHandle } from '@lagebild/infra/process';
import type { WhipPublisher } from '@lagebild/sim/whip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environOf, publishCamera, sfuStats, startSfuAgain, until } from '../src/sfu.ts';
import { type Stack, startStack, TEST_INTERNAL_SECRET } from '../src/stack.ts';

let stack: Stack;
let camera: WhipPublisher | undefined;

beforeAll(async () => {
  stack = await startStack({ sfu: true, devicesPerTenant: 2, sfuEnv: { SFU_BENCH_PLAIN_CONSUMERS: 'on' } });
}, 120_000);

afterAll(async () => {
  await camera?.close();
  await stack?.stop();
});

const seam = (base: string, method: string, body?: unknown, secret: string | null = TEST_INTERNAL_SECRET) =>
  fetch(`${base}/internal/bench/plain-consumers`, {
    method,
    headers: {
      ...(secret ? { authorization: `Bearer ${secret}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

/** RFC 3711 §4.3.1 with key derivation rate 0: the session key of `label` from the master key and salt */
function srtpSessionKey(keyBase64: string, label: number, length: number): Buffer {
  const master = Buffer.from(keyBase64, 'base64');
  const key = master.subarray(0, 16);
  const iv = Buffer.alloc(16);
  master.subarray(16, 30).copy(iv); // x = master salt XOR (label << 48), then x · 2^16
  iv[7]! ^= label;
  return createCipheriv('aes-128-ctr', key, iv).update(Buffer.alloc(length));
}

/** the packet's 80-bit HMAC-SHA1 tag verifies with the key (ROC 0 or 1: the sequence may wrap once) */
function srtpAuthentic(packet: Buffer, keyBase64: string): boolean {
  const authKey = srtpSessionKey(keyBase64, 0x01, 20);
  const body = packet.subarray(0, packet.length - 10);
  const tag = packet.subarray(packet.length - 10);
  return [0, 1].some((roc) => {
    const r = Buffer.alloc(4);
    r.writeUInt32BE(roc);
    return createHmac('sha1', authKey).update(body).update(r).digest().subarray(0, 10).equals(tag);
  });
}

interface Received {
  socket: Socket;
  rtp: Buffer[];
}

async function receiver(): Promise<Received> {
  const socket = createSocket('udp4');
  const r: Received = { socket, rtp: [] };
  socket.on('message', (buf) => {
    if (buf[1]! >= 192 && buf[1]! <= 223) return; // RTCP (rtcp-mux)
    r.rtp.push(buf);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return r;
}

describe('[issue 17] the bench seam: SRTP PlainTransport consumers', () => {
  it('does not exist without SFU_BENCH_PLAIN_CONSUMERS=on (404, with the secret)', async () => {
    let other: ServiceHandle | undefined;
    try {
      const env = await environOf(stack.sfu!.child.pid!);
      const port = await freePort();
      other = await startSfuAgain(
        { ...env, PORT: String(port), SFU_ID: 'sfu-seam-off', SFU_BENCH_PLAIN_CONSUMERS: 'off' },
        'sfu-seam-off',
      );
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      for (const method of ['GET', 'DELETE']) expect((await seam(base, method)).status).toBe(404);
      const post = await seam(base, 'POST', {
        tenantId: stack.tenants[0]!.id,
        deviceId: stack.tenants[0]!.devices[0]!.deviceId,
        ip: '127.0.0.1',
        ports: [40000],
      });
      expect(post.status).toBe(404);
    } finally {
      await other?.stop();
    }
  }, 60_000);

  it('refuses a caller without the internal secret, a destination off loopback and a unit that is not live', async () => {
    const base = stack.sfu!.url;
    const tenant = stack.tenants[0]!;
    const body = {
      tenantId: tenant.id,
      deviceId: tenant.devices[1]!.deviceId,
      ip: '127.0.0.1',
      ports: [40000],
    };
    expect((await seam(base, 'POST', body, null)).status).toBe(401);
    expect((await seam(base, 'POST', body, 'x'.repeat(40))).status).toBe(401);
    expect((await seam(base, 'GET', undefined, null)).status).toBe(401);
    expect((await seam(base, 'DELETE', undefined, null)).status).toBe(401);
    expect((await seam(base, 'POST', { ...body, ip: '10.0.0.1' })).status).toBe(400);
    expect((await seam(base, 'POST', { ...body, ip: '192.0.2.7' })).status).toBe(400);
    expect((await seam(base, 'POST', body)).status).toBe(404); // device 1 never publishes here
  });

  it('sends the live unit to loopback as authenticated SRTP with the SSRC and payload type it reports, until deleted', async () => {
    const tenant = stack.tenants[0]!;
    const device = tenant.devices[0]!;
    const before = (await sfuStats(stack)).transports;
    camera = await publishCamera(stack, tenant.id, device);
    await camera.connected(10_000);
    const rx = [await receiver(), await receiver()];
    const ports = rx.map((r) => r.socket.address().port);
    let created: Response | undefined;
    await until(
      async () => {
        created = await seam(stack.sfu!.url, 'POST', {
          tenantId: tenant.id,
          deviceId: device.deviceId,
          ip: '127.0.0.1',
          ports,
        });
        return created.status === 201;
      },
      10_000,
      'plain consumers of the live unit',
    );
    const { consumers } = (await created!.json()) as {
      consumers: {
        port: number;
        kind: string;
        ssrc: number;
        payloadType: number;
        mimeType: string;
        srtp: { cryptoSuite: string; keyBase64: string };
        transportId: string;
      }[];
    };
    // the simulator sends VP8 and Opus: one consumer of each per port
    expect(consumers.map((c) => `${c.port}/${c.kind}`).sort()).toEqual(
      ports.flatMap((p) => [`${p}/audio`, `${p}/video`]).sort(),
    );
    expect(new Set(consumers.map((c) => c.ssrc)).size).toBe(4);
    expect((await sfuStats(stack)).transports).toBe(before + 1 + 2); // the camera's, two plain ones

    await until(async () => rx.every((r) => r.rtp.length >= 40), 10_000, '40 RTP packets on each socket');
    for (const [k, r] of rx.entries()) {
      const mine = consumers.filter((c) => c.port === ports[k]);
      const video = mine.find((c) => c.kind === 'video')!;
      expect(video.mimeType).toBe('video/VP8');
      expect(video.srtp.cryptoSuite).toBe('AES_CM_128_HMAC_SHA1_80');
      for (const p of r.rtp) {
        const c = mine.find((x) => x.ssrc === p.readUInt32BE(8));
        expect(c, `SSRC ${p.readUInt32BE(8)} is one of this port's consumers`).toBeDefined();
        expect(p[0]! >> 6).toBe(2);
        expect(p[1]! & 0x7f).toBe(c!.payloadType);
        expect(srtpAuthentic(p, c!.srtp.keyBase64), 'the SRTP tag verifies').toBe(true);
      }
      // the check can fail: another transport's key does not verify these packets
      const otherKey = consumers.find((c) => c.port !== ports[k])!.srtp.keyBase64;
      expect(r.rtp.some((p) => srtpAuthentic(p, otherKey))).toBe(false);
    }
    // the SFU's own count of what each consumer sent
    const listed = (await (await seam(stack.sfu!.url, 'GET')).json()) as {
      consumers: { consumerId: string; packetCount: number }[];
    };
    expect(listed.consumers).toHaveLength(4);
    expect(listed.consumers.every((c) => c.packetCount > 0)).toBe(true);

    const del = await seam(stack.sfu!.url, 'DELETE');
    expect(await del.json()).toEqual({ closed: 2 });
    await new Promise((r) => setTimeout(r, 300));
    const after = rx.map((r) => r.rtp.length);
    await new Promise((r) => setTimeout(r, 1000));
    expect(rx.map((r) => r.rtp.length)).toEqual(after);
    expect((await sfuStats(stack)).transports).toBe(before + 1);
    for (const r of rx) r.socket.close();
  }, 60_000);
});
