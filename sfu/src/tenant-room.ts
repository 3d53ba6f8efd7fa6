/**
 * Everything one tenant has on this SFU: a router on one worker, the publishers (at most one per
 * device) and the viewer sessions. Tenants never share a router, so no consumer can reach another
 * tenant's producer. If the router's worker dies, every publisher and viewer of the tenant is
 * closed, the loss is announced (`router_reset`, so devices re-publish and tiles re-consume) and a
 * new router is created on a live worker.
 */
import type { MediaEvent, ProducerDownReason, ViewerTokenClaims } from '@lagebild/protocol';
import type { types } from 'mediasoup';
import type { Announcer } from './announcer.ts';
import type { SfuConfig } from './config.ts';
import { SfuError } from './errors.ts';
import type { Logger } from './logger.ts';
import { MEDIA_CODECS } from './media-codecs.ts';
import { watchPeer } from './peer-watch.ts';
import { Publisher } from './publisher.ts';
import { ViewerSession } from './viewer-session.ts';
import { type AcceptedSection, buildAnswer, type ParsedOffer, producerCandidates } from './whip-sdp.ts';
import type { WorkerPool, WorkerSlot } from './worker-pool.ts';

export interface RoomDeps {
  tenantId: string;
  pool: WorkerPool;
  config: SfuConfig;
  announcer: Announcer;
  log: Logger;
  /** called once a publisher is live (the recorder starts here) */
  onPublish?: (publisher: Publisher, router: types.Router, opts: PublishOptions) => void;
}

export interface PublishOptions {
  /** seconds of the device's pre-recording buffer at the start of this stream (0 = none) */
  prerecordS?: number;
}

export class TenantRoom {
  readonly tenantId: string;
  readonly #deps: RoomDeps;
  readonly #log: Logger;
  #router: Promise<{ router: types.Router; slot: WorkerSlot }> | undefined;
  readonly #publishers = new Map<string, Publisher>();
  readonly #viewers = new Map<string, ViewerSession>();
  #closed = false;

  constructor(deps: RoomDeps) {
    this.tenantId = deps.tenantId;
    this.#deps = deps;
    this.#log = deps.log.child({ tenantId: deps.tenantId });
  }

  get publishers(): ReadonlyMap<string, Publisher> {
    return this.#publishers;
  }

  get viewers(): ReadonlyMap<string, ViewerSession> {
    return this.#viewers;
  }

  /** The tenant's router, created on the least-loaded worker on first use. */
  router(): Promise<{ router: types.Router; slot: WorkerSlot }> {
    if (this.#closed) return Promise.reject(new SfuError('unavailable', 'SFU is shutting down'));
    this.#router ??= this.#createRouter();
    return this.#router;
  }

  async #createRouter(): Promise<{ router: types.Router; slot: WorkerSlot }> {
    try {
      const slot = await this.#deps.pool.pick();
      const router = await slot.worker.createRouter({
        mediaCodecs: MEDIA_CODECS,
        appData: { tenantId: this.tenantId },
      });
      slot.routers++;
      router.observer.once('close', () => {
        slot.routers--;
      });
      router.once('workerclose', () => this.#onRouterLost(slot));
      this.#log.info(
        { routerId: router.id, slot: slot.index, pid: slot.worker.pid },
        'tenant router created',
      );
      return { router, slot };
    } catch (err) {
      this.#router = undefined;
      throw err;
    }
  }

  #onRouterLost(slot: WorkerSlot): void {
    this.#router = undefined;
    if (this.#closed || this.#deps.pool.closed) return; // shutting down: close() announces
    const deviceIds = [...this.#publishers.keys()];
    this.#log.warn(
      { slot: slot.index, devices: deviceIds.length, viewers: this.#viewers.size },
      'router lost with its worker',
    );
    for (const p of [...this.#publishers.values()]) p.close('worker_died');
    for (const v of [...this.#viewers.values()]) v.close('worker_died');
    const { announcer, config } = this.#deps;
    announcer.announce({
      type: 'router_reset',
      tenantId: this.tenantId,
      sfuId: config.SFU_ID,
      deviceIds,
      at: Date.now(),
    });
    if (!this.#closed) {
      this.router().catch((err) =>
        this.#log.error({ err: (err as Error).message }, 'router re-creation failed'),
      );
    }
  }

  async #createTransport(router: types.Router, slot: WorkerSlot): Promise<types.WebRtcTransport> {
    return router.createWebRtcTransport({
      webRtcServer: slot.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 1_500_000,
    });
  }

  /**
   * WHIP publish: one transport, one producer per accepted section. A device that is already live is
   * replaced (its old transport closed) only once the new one is ready, so a failed re-publish does
   * not cut a working stream.
   */
  async publish(
    deviceId: string,
    offer: ParsedOffer,
    opts: PublishOptions = {},
  ): Promise<{ publisher: Publisher; answer: string }> {
    const { router, slot } = await this.router();
    const transport = await this.#createTransport(router, slot);
    const publisher = new Publisher({ deviceId, tenantId: this.tenantId, transport });
    try {
      await transport.setMaxIncomingBitrate(this.#deps.config.SFU_MAX_INCOMING_BITRATE);
      await transport.connect({ dtlsParameters: offer.dtls });
      const accepted: AcceptedSection[] = [];
      const reasons: string[] = [];
      for (const section of offer.sections) {
        if (section.rejected) continue;
        const candidates = producerCandidates(section, router.rtpCapabilities);
        if (candidates.length === 0) {
          reasons.push(
            `m=${section.kind} mid ${section.mid}: none of its codecs is supported (VP8, H264 packetization-mode=1, opus)`,
          );
          continue;
        }
        let lastErr = '';
        for (const rtpParameters of candidates) {
          try {
            const producer = await transport.produce({
              kind: section.kind!,
              rtpParameters,
              appData: { deviceId, tenantId: this.tenantId },
            });
            publisher.producers.push(producer);
            accepted.push({ section, rtpParameters });
            break;
          } catch (err) {
            lastErr = (err as Error).message;
          }
        }
        if (!accepted.some((a) => a.section === section)) {
          reasons.push(`m=${section.kind} mid ${section.mid}: ${lastErr}`);
        }
      }
      if (accepted.length === 0)
        throw new SfuError('bad_request', `no media section accepted: ${reasons.join('; ')}`);
      publisher.firstMid = accepted[0]!.section.mid;
      publisher.remoteIceUfrag = offer.iceUfrag;
      const answer = buildAnswer(offer, accepted, transport);
      this.#adopt(publisher);
      this.#deps.onPublish?.(publisher, router, opts);
      return { publisher, answer };
    } catch (err) {
      publisher.removeAllListeners();
      publisher.close('unpublished');
      throw err;
    }
  }

  #adopt(publisher: Publisher): void {
    const { deviceId } = publisher;
    const { announcer, config } = this.#deps;
    const old = this.#publishers.get(deviceId);
    this.#publishers.set(deviceId, publisher);
    if (old) old.close('replaced');
    publisher.setWatch(
      watchPeer(publisher.transport, config.SFU_PEER_TIMEOUT_MS, (why) => {
        this.#log.info({ deviceId, why }, 'publisher gone');
        publisher.close('timeout');
      }),
    );
    publisher.once('close', (reason: ProducerDownReason) => {
      if (this.#publishers.get(deviceId) === publisher) this.#publishers.delete(deviceId);
      // A replaced stream is followed by producer_up of its successor; dashboards keep the tile.
      announcer.announce({
        type: 'producer_down',
        tenantId: this.tenantId,
        deviceId,
        sfuId: config.SFU_ID,
        reason,
        at: Date.now(),
      });
    });
    announcer.announce({
      type: 'producer_up',
      tenantId: this.tenantId,
      deviceId,
      sfuId: config.SFU_ID,
      stream: publisher.stream(),
      at: Date.now(),
    });
    this.#log.info(
      { deviceId, resourceId: publisher.resourceId, kinds: publisher.stream().kinds },
      'publishing',
    );
  }

  publisherByResource(deviceId: string, resourceId: string): Publisher {
    const p = this.#publishers.get(deviceId);
    if (!p || p.resourceId !== resourceId)
      throw new SfuError('not_found', 'WHIP resource not found (ended or replaced)');
    return p;
  }

  async createViewer(claims: ViewerTokenClaims): Promise<ViewerSession> {
    const { router, slot } = await this.router();
    const transport = await this.#createTransport(router, slot);
    const session = new ViewerSession(claims, transport);
    this.#viewers.set(session.id, session);
    const { announcer, config } = this.#deps;
    const consumerEvent = (type: 'consumer_up' | 'consumer_down') => ({
      type,
      tenantId: this.tenantId,
      deviceId: claims.deviceId,
      userId: claims.userId,
      sessionId: session.id,
      ...(claims.watchId ? { watchId: claims.watchId } : {}),
      sfuId: config.SFU_ID,
      at: Date.now(),
    });
    session.on('consuming', () => announcer.announce(consumerEvent('consumer_up') as MediaEvent));
    session.on('producergone', () =>
      announcer.announce({ ...consumerEvent('consumer_down'), reason: 'producer_gone' } as MediaEvent),
    );
    session.once('close', (reason) => {
      this.#viewers.delete(session.id);
      if (session.consuming) announcer.announce({ ...consumerEvent('consumer_down'), reason } as MediaEvent);
    });
    session.setWatch(watchPeer(transport, config.SFU_PEER_TIMEOUT_MS, () => session.close('timeout')));
    return session;
  }

  viewer(sessionId: string, claims: ViewerTokenClaims): ViewerSession {
    const s = this.#viewers.get(sessionId);
    if (!s) throw new SfuError('not_found', 'viewer session not found (closed or expired); create a new one');
    if (s.claims.userId !== claims.userId || s.claims.deviceId !== claims.deviceId) {
      throw new SfuError('forbidden', 'this viewer session belongs to another token');
    }
    return s;
  }

  /** Consume every producer of the session's unit, paused. */
  async consume(session: ViewerSession, rtpCapabilities: types.RtpCapabilities): Promise<types.Consumer[]> {
    const publisher = this.#publishers.get(session.claims.deviceId);
    if (!publisher || publisher.producers.length === 0)
      throw new SfuError('not_found', 'this unit is not live right now');
    const { router } = await this.router();
    for (const c of session.consumers.values()) c.close(); // re-consume replaces the old set
    session.consumers.clear();
    const out: types.Consumer[] = [];
    for (const producer of publisher.producers) {
      if (!router.canConsume({ producerId: producer.id, rtpCapabilities })) continue;
      const consumer = await session.transport.consume({
        producerId: producer.id,
        rtpCapabilities,
        paused: true,
        enableRtx: true,
        ignoreDtx: true,
      });
      session.addConsumer(consumer);
      out.push(consumer);
    }
    if (out.length === 0) {
      throw new SfuError('unprocessable', 'your rtpCapabilities cannot receive any codec this unit sends');
    }
    session.markConsuming();
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of [...this.#publishers.values()]) p.close('shutdown');
    for (const v of [...this.#viewers.values()]) v.close('shutdown');
    void this.#router?.then(({ router }) => router.close()).catch(() => {});
  }
}
