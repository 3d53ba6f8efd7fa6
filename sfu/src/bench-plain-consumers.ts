/**
 * A benchmark seam (issue 17), registered only with SFU_BENCH_PLAIN_CONSUMERS=on (production refuses
 * it; it needs SFU_INTERNAL_SECRET and every call carries it): consumers of a live unit that cost a
 * load generator next to nothing, so that `bench:video --capacity-receivers plain` can put 300
 * consumers on a 2-core machine and measure the SFU rather than its receivers.
 *
 * Each consumer is what a control-room tile's consumer is — a consumer of the unit's producers on
 * its tenant's router (the router tiles consume from), RTX enabled as for a tile — but on a
 * PlainTransport instead of a WebRtcTransport: SRTP on (the worker encrypts and authenticates every
 * packet as it does for a WebRTC viewer; AES_CM_128_HMAC_SHA1_80), RTP and RTCP on one port
 * (rtcp-mux), no ICE, no DTLS, no congestion control, sending to a loopback port the caller names.
 * The caller counts packets from the RTP header, which SRTP leaves in the clear.
 *
 *   POST   /internal/bench/plain-consumers  {tenantId, deviceId, ip, ports: [..]}  → 201 {consumers}
 *   GET    /internal/bench/plain-consumers  → {consumers: [{consumerId, port, packetCount, byteCount}]}
 *   DELETE /internal/bench/plain-consumers  → {closed}
 *
 * What it leaves out compared with a tile: the viewer token and its audit events, the per-tenant and
 * per-user viewer caps, the peer watch (a transport stats request every 2 s), ICE/DTLS, and all
 * feedback from a receiver (RTCP receiver reports, NACK, PLI, transport-cc): the worker sends, it
 * never hears back. Only loopback destinations are accepted.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { types } from 'mediasoup';
import { z } from 'zod';
import type { SfuConfig } from './config.ts';
import { parseInput, SfuError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { TenantRoom } from './tenant-room.ts';

const LOOPBACK = '127.0.0.1';
const SRTP_SUITE: types.SrtpCryptoSuite = 'AES_CM_128_HMAC_SHA1_80';

const CreateRequest = z.object({
  tenantId: z.string().min(1).max(100),
  deviceId: z.string().min(1).max(100),
  /** where the consumers send: loopback only */
  ip: z.string().regex(/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/, 'a loopback IPv4 address (127.x.x.x)'),
  /** one PlainTransport per port, consuming every producer of the unit */
  ports: z.array(z.number().int().min(1024).max(65535)).min(1).max(1000),
});

export interface PlainConsumerView {
  port: number;
  transportId: string;
  consumerId: string;
  kind: types.MediaKind;
  ssrc: number;
  payloadType: number;
  mimeType: string;
  /** the key the worker encrypts this transport's SRTP with (lets a test verify the auth tags) */
  srtp: types.SrtpParameters;
  /** the transport's own port on loopback */
  localPort: number;
}

export interface BenchPlainDeps {
  app: FastifyInstance;
  config: SfuConfig;
  room(tenantId: string): TenantRoom;
  /** throws unless the request carries the internal secret */
  authorize(req: FastifyRequest): void;
  log: Logger;
}

export function registerBenchPlainConsumers({ app, config, room, authorize, log }: BenchPlainDeps): void {
  const made = new Map<
    string,
    { transport: types.PlainTransport; port: number; consumers: types.Consumer[] }
  >();
  const buffers =
    config.SFU_RTC_SOCKET_BUFFER_BYTES > 0
      ? {
          recvBufferSize: config.SFU_RTC_SOCKET_BUFFER_BYTES,
          sendBufferSize: config.SFU_RTC_SOCKET_BUFFER_BYTES,
        }
      : {};
  log.warn('SFU_BENCH_PLAIN_CONSUMERS=on: /internal/bench/plain-consumers exists (benchmarks only)');

  app.post('/internal/bench/plain-consumers', async (req, reply) => {
    authorize(req);
    const body = parseInput(CreateRequest, req.body);
    const r = room(body.tenantId);
    const publisher = r.publishers.get(body.deviceId);
    if (!publisher?.live || publisher.producers.length === 0)
      throw new SfuError('not_found', 'this unit is not live right now');
    const { router } = await r.router();
    const out: PlainConsumerView[] = [];
    for (const port of body.ports) {
      const transport = await router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: LOOPBACK, ...buffers },
        rtcpMux: true,
        comedia: false,
        enableSrtp: true,
        srtpCryptoSuite: SRTP_SUITE,
        appData: { bench: true },
      });
      const entry = { transport, port, consumers: [] as types.Consumer[] };
      made.set(transport.id, entry);
      transport.observer.once('close', () => made.delete(transport.id));
      try {
        // the remote key would decrypt what the receiver sends; it sends nothing
        await transport.connect({
          ip: body.ip,
          port,
          srtpParameters: { cryptoSuite: SRTP_SUITE, keyBase64: randomBytes(30).toString('base64') },
        });
        for (const producer of publisher.producers) {
          const consumer = await transport.consume({
            producerId: producer.id,
            rtpCapabilities: router.rtpCapabilities,
            paused: false,
            enableRtx: true,
            ignoreDtx: true,
          });
          entry.consumers.push(consumer);
          if (consumer.kind === 'video') await consumer.requestKeyFrame();
          const codec = consumer.rtpParameters.codecs[0]!;
          out.push({
            port,
            transportId: transport.id,
            consumerId: consumer.id,
            kind: consumer.kind,
            ssrc: consumer.rtpParameters.encodings![0]!.ssrc!,
            payloadType: codec.payloadType,
            mimeType: codec.mimeType,
            srtp: transport.srtpParameters!,
            localPort: transport.tuple.localPort,
          });
        }
      } catch (err) {
        transport.close();
        throw err;
      }
    }
    reply.code(201);
    return { consumers: out };
  });

  app.get('/internal/bench/plain-consumers', async (req) => {
    authorize(req);
    const consumers = [];
    for (const { port, consumers: cs } of made.values()) {
      for (const c of cs) {
        if (c.closed) continue;
        const stats = await c.getStats().catch(() => []);
        const own = stats.find((s) => s.type === 'outbound-rtp');
        consumers.push({
          consumerId: c.id,
          port,
          packetCount: own?.packetCount ?? 0,
          byteCount: own?.byteCount ?? 0,
        });
      }
    }
    return { consumers };
  });

  app.delete('/internal/bench/plain-consumers', async (req) => {
    authorize(req);
    const all = [...made.values()];
    for (const { transport } of all) transport.close();
    return { closed: all.length };
  });
}
