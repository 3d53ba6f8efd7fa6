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
import {
  type AcceptedSection,
  buildAnswer,
  type ParsedOffer,
  producerCandidates,
  publisherFeedback,
} from './whip-sdp.ts';
import type { WorkerPool, WorkerSlot } from './worker-pool.ts';

export interface RoomDeps {
  tenantId: string;
  pool: WorkerPool;
  config: SfuConfig;
  announcer: Announcer;
  log: Logger;
  /** called once media reaches a publisher (the recorder starts here) */
  /** a publisher was answered and adopted; its media has not arrived yet */
  onAdopt?: (publisher: Publisher, router: types.Router) => void;
  onPublish?: (publisher: Publisher, router: types.Router, opts: PublishOptions) => void;
}

export interface PublishOptions {
  /** seconds of the device's pre-recording buffer at the start of this stream (0 = none) */
  prerecordS?: number;
}

/** Who asks for a viewer session, and the watch it belongs to (at most one live session each). */
export interface ViewerRequest {
  claims: ViewerTokenClaims;
  watchKey: string;
  /**
   * the router the session's transport belongs to, if not the tenant's: a WHEP session's own
   * egress router on the same worker (sfu/src/whep-egress.ts)
   */
  router?: types.Router;
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

  /**
   * A WebRTC transport on this tenant's worker, on `router` (the tenant's or an egress router of the
   * same worker): talkback speakers and listeners (sfu/src/talkback-routes.ts).
   */
  async createTransportOn(router?: types.Router): Promise<types.WebRtcTransport> {
    const own = await this.router();
    return this.#createTransport(router ?? own.router, own.slot);
  }

  async #createTransport(router: types.Router, slot: WorkerSlot): Promise<types.WebRtcTransport> {
    return router.createWebRtcTransport({
      webRtcServer: slot.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 1_500_000,
      // RFC 7675 consent off: GStreamer 1.22 (libnice 0.1.21) sends no consent requests and was cut
      // after 30 s; a peer is taken as gone when nothing arrives from it (peer-watch.ts)
      iceConsentTimeout: 0,
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
    opts: PublishOptions & { tokenIat: number },
  ): Promise<{ publisher: Publisher; answer: string }> {
    const { router, slot } = await this.router();
    const transport = await this.#createTransport(router, slot);
    const publisher = new Publisher({
      deviceId,
      tenantId: this.tenantId,
      transport,
      tokenIat: opts.tokenIat,
    });
    try {
      await transport.setMaxIncomingBitrate(this.#deps.config.SFU_MAX_INCOMING_BITRATE);
      await transport.connect({ dtlsParameters: offer.dtls });
      const accepted: AcceptedSection[] = [];
      const reasons: string[] = [];
      const feedback = publisherFeedback(offer.sections);
      for (const section of offer.sections) {
        if (section.rejected) continue;
        const candidates = producerCandidates(section, router.rtpCapabilities, feedback);
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
      // The worker handles requests in order: tracing is on before the client can send anything.
      for (const p of publisher.producers) await p.enableTraceEvent(['rtp']);
      const answer = buildAnswer(offer, accepted, transport);
      this.#adopt(publisher, router, opts);
      return { publisher, answer };
    } catch (err) {
      publisher.removeAllListeners();
      publisher.close('unpublished');
      throw err;
    }
  }

  /**
   * Takes the publisher into the room at once (its resource URL works, it replaces the device's
   * previous stream as [W6] says), but announces and records it only once media flows ([W10]).
   */
  #adopt(publisher: Publisher, router: types.Router, opts: PublishOptions): void {
    const { deviceId } = publisher;
    const { announcer, config } = this.#deps;
    const old = this.#publishers.get(deviceId);
    this.#publishers.set(deviceId, publisher);
    if (old) {
      publisher.owesDown = old.live || old.owesDown;
      old.close('replaced');
    }
    publisher.onCleanup(
      watchPeer(publisher.transport, config.SFU_PEER_TIMEOUT_MS, (why) => {
        this.#log.info({ deviceId, why }, 'publisher gone');
        publisher.close('timeout');
      }),
    );
    this.#gateOnMedia(publisher, router, opts);
    this.#deps.onAdopt?.(publisher, router);
    publisher.once('close', (reason: ProducerDownReason) => {
      if (this.#publishers.get(deviceId) === publisher) this.#publishers.delete(deviceId);
      // A replaced stream is followed by producer_up of its successor; dashboards keep the tile.
      // A publisher that never got media was never announced: nothing to take back, unless it
      // stands in for a replaced one that was (then its successor inherits that, if replaced too).
      const announced = publisher.live || (publisher.owesDown && reason !== 'replaced');
      if (!announced) return;
      announcer.announce({
        type: 'producer_down',
        tenantId: this.tenantId,
        deviceId,
        sfuId: config.SFU_ID,
        reason,
        at: Date.now(),
      });
    });
  }

  /**
   * Ghost publishers (issue 11): a valid offer whose sender never connects used to be announced
   * within milliseconds and left an empty recording. Now the first RTP packet that reaches a
   * producer (so ICE and DTLS are up: SRTP cannot be read before) makes the stream live; a
   * publisher without media for SFU_PEER_TIMEOUT_MS is closed, unannounced and unrecorded.
   */
  #gateOnMedia(publisher: Publisher, router: types.Router, opts: PublishOptions): void {
    const { announcer, config } = this.#deps;
    const { deviceId } = publisher;
    const noMedia = setTimeout(() => {
      if (publisher.live) return;
      this.#log.info({ deviceId, resourceId: publisher.resourceId }, 'publisher sent no media: closed');
      publisher.close('timeout');
    }, config.SFU_PEER_TIMEOUT_MS);
    const stopTracing = () => {
      for (const p of publisher.producers) {
        p.off('trace', onTrace);
        if (!p.closed) p.enableTraceEvent([]).catch(() => {}); // closed meanwhile: nothing to stop
      }
    };
    const onTrace = (t: types.ProducerTraceEventData) => {
      if (t.type !== 'rtp' || publisher.live || publisher.closed) return;
      if (publisher.transport.dtlsState !== 'connected') return;
      publisher.live = true;
      clearTimeout(noMedia);
      stopTracing();
      announcer.announce({
        type: 'producer_up',
        tenantId: this.tenantId,
        deviceId,
        sfuId: config.SFU_ID,
        stream: publisher.stream(),
        at: Date.now(),
      });
      this.#log.info(
        {
          deviceId,
          resourceId: publisher.resourceId,
          kinds: publisher.stream().kinds,
          mediaAfterMs: Date.now() - publisher.since,
        },
        'publishing',
      );
      this.#deps.onPublish?.(publisher, router, opts);
    };
    for (const p of publisher.producers) p.on('trace', onTrace);
    publisher.onCleanup(() => {
      clearTimeout(noMedia);
      // the producers close with the transport: no need to ask the worker to stop tracing them
      for (const p of publisher.producers) p.off('trace', onTrace);
    });
  }

  /**
   * Revocation (issue 11): ends the device's stream if it was started with a token issued at or
   * before `revokedAt`. Reason `revoked`: the recording is sealed as for any ended stream and
   * dashboards close the tile. Returns whether a stream ended.
   */
  revokeDevice(deviceId: string, revokedAt: number): boolean {
    const p = this.#publishers.get(deviceId);
    if (!p || p.tokenIat > revokedAt) return false;
    this.#log.warn(
      { audit: 'whip_revoked', deviceId, resourceId: p.resourceId, live: p.live },
      'device revoked: stream ended',
    );
    p.close('revoked');
    return true;
  }

  /** Ends every viewer session of an ended operator session; returns how many. */
  endOperatorSession(sid: string): number {
    let n = 0;
    for (const v of [...this.#viewers.values()]) {
      if (v.claims.sid !== sid) continue;
      v.close('session_ended');
      n++;
    }
    if (n > 0) this.#log.info({ sessions: n }, 'operator session ended: viewer sessions closed');
    return n;
  }

  publisherByResource(deviceId: string, resourceId: string): Publisher {
    const p = this.#publishers.get(deviceId);
    if (!p || p.resourceId !== resourceId)
      throw new SfuError('not_found', 'WHIP resource not found (ended or replaced)');
    return p;
  }

  /**
   * A viewer session for one watch ([V6]): a second create for the same watch replaces the first
   * (after the new one exists, so a failed create leaves the old tile running). Caps per user and
   * per tenant bound what one token holder, or one tenant, can make this node hold.
   */
  async createViewer({ claims, watchKey, router: own }: ViewerRequest): Promise<ViewerSession> {
    if (claims.sexp <= Date.now())
      throw new SfuError('session_ended', 'the operator session of this viewer token has expired');
    const { config } = this.#deps;
    const others = [...this.#viewers.values()].filter((v) => v.watchKey !== watchKey);
    if (others.filter((v) => v.claims.userId === claims.userId).length >= config.SFU_MAX_VIEWERS_PER_USER)
      throw new SfuError(
        'too_many',
        `at most ${config.SFU_MAX_VIEWERS_PER_USER} live video tiles per user; close one first`,
      );
    if (others.length >= config.SFU_MAX_VIEWERS_PER_TENANT)
      throw new SfuError('too_many', 'this control room has reached its number of live video tiles');
    const { router, slot } = await this.router();
    const transport = await this.#createTransport(own ?? router, slot);
    const session = new ViewerSession(claims, transport, watchKey);
    const replaced = [...this.#viewers.values()].filter((v) => v.watchKey === watchKey);
    this.#viewers.set(session.id, session);
    for (const v of replaced) v.close('closed');
    const { announcer } = this.#deps;
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
    if (session.whep)
      throw new SfuError('conflict', 'this is a WHEP session: its media was negotiated in its SDP answer');
    const publisher = this.#publishers.get(session.claims.deviceId);
    if (!publisher?.live || publisher.producers.length === 0)
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
