/**
 * WHEP egress (issue 16): a player's SDP offer → a viewer session that sends it one unit's live
 * stream, answered in one round trip ([E1]–[E4] in SPEC.md).
 *
 * Why each WHEP session gets its own router: the player offers, and the payload types of its offer
 * are what it expects to receive (RFC 3264 §5.1). A mediasoup consumer sends with its router's
 * payload types, which are the tenant router's (VP8 101, Opus 100, …) and differ from a browser's
 * (VP8 96, Opus 111) or anyone else's. So the unit's producers are piped (same worker, loopback)
 * into a router whose codecs carry the player's payload types, and the player's transport lives
 * there. Header extensions are sent only where the player's id for a URI equals mediasoup's; RTX is
 * off (its payload type cannot be chosen), NACK without RTX is off with it, PLI/FIR stay.
 *
 * A WHEP session follows one stream: when the unit's stream ends (unpublished, replaced, revoked,
 * worker gone) the session closes and the player POSTs again (there is no server-side
 * renegotiation in WHEP).
 */
import type { types } from 'mediasoup';
import { SfuError } from './errors.ts';
import { newEtag } from './publisher.ts';
import type { TenantRoom, ViewerRequest } from './tenant-room.ts';
import type { ViewerSession } from './viewer-session.ts';
import { type AcceptedSection, buildAnswer, type OfferedSection, type ParsedOffer } from './whip-sdp.ts';

export interface EgressPlan {
  section: OfferedSection;
  producer: types.Producer;
  /** the producer's codec with the player's payload type and feedback */
  codec: types.RouterRtpCodecCapability;
}

const fmtpOf = (m: OfferedSection['media'], pt: number): Record<string, string> => {
  const config = m.fmtp?.find((f) => f.payload === pt)?.config ?? '';
  return Object.fromEntries(
    config
      .split(';')
      .map((kv) => kv.split('=').map((x) => x.trim()))
      .filter((kv): kv is [string, string] => kv.length === 2),
  );
};

/** The offered payload type for a producer's codec, best match first, or null. */
export function offeredPayloadType(section: OfferedSection, codec: types.RtpCodecParameters): number | null {
  const [, name] = codec.mimeType.split('/');
  const m = section.media;
  const same = m.rtp.filter(
    (r) =>
      r.codec.toLowerCase() === name!.toLowerCase() &&
      (r.rate ?? 0) === codec.clockRate &&
      (codec.channels === undefined || codec.channels <= 1 || Number(r.encoding ?? 1) === codec.channels),
  );
  if (name!.toLowerCase() !== 'h264') return same[0]?.payload ?? null;
  const mode = String(codec.parameters?.['packetization-mode'] ?? 0);
  const plid = String(codec.parameters?.['profile-level-id'] ?? '42e01f').toLowerCase();
  const h264 = same
    .map((r) => ({ pt: r.payload, p: fmtpOf(m, r.payload) }))
    .filter((r) => String(r.p['packetization-mode'] ?? 0) === mode);
  const score = (p: Record<string, string>) => {
    const offered = String(p['profile-level-id'] ?? '42e01f').toLowerCase();
    if (offered === plid) return 3;
    if (offered.slice(0, 2) === plid.slice(0, 2)) return 2;
    return 1;
  };
  return h264.sort((a, b) => score(b.p) - score(a.p))[0]?.pt ?? null;
}

/**
 * For each section the player offers, the unit's producer of that kind and the codec to send it
 * with. Sections without a match are answered port 0 with a reason; none at all is a 422.
 */
export function planEgress(
  offer: ParsedOffer,
  producers: readonly types.Producer[],
): { plans: EgressPlan[]; reasons: string[] } {
  const plans: EgressPlan[] = [];
  const reasons: string[] = [];
  for (const section of offer.sections) {
    if (section.rejected) continue;
    const producer = producers.find((p) => p.kind === section.kind && !plans.some((x) => x.producer === p));
    if (!producer) {
      reasons.push(`m=${section.kind} mid ${section.mid}: the unit sends no ${section.kind}`);
      continue;
    }
    const codec = producer.rtpParameters.codecs.find((c) => !/\/rtx$/i.test(c.mimeType))!;
    const pt = offeredPayloadType(section, codec);
    if (pt === null) {
      reasons.push(`m=${section.kind} mid ${section.mid}: the unit sends ${codec.mimeType}, not offered`);
      continue;
    }
    const rtcpFeedback = (section.media.rtcpFb ?? [])
      .filter((f) => String(f.payload) === String(pt) || f.payload === '*')
      .filter((f) => f.type !== 'nack' || f.subtype) // plain NACK needs RTX, which is off
      .map((f) => ({ type: f.type, parameter: f.subtype ?? '' }));
    plans.push({
      section,
      producer,
      codec: {
        kind: producer.kind,
        mimeType: codec.mimeType as types.RouterRtpCodecCapability['mimeType'],
        clockRate: codec.clockRate,
        ...(codec.channels ? { channels: codec.channels } : {}),
        parameters: { ...codec.parameters },
        preferredPayloadType: pt,
        rtcpFeedback,
      } as types.RouterRtpCodecCapability,
    });
  }
  return { plans, reasons };
}

/** A router on the tenant router's worker whose codecs carry the player's payload types. */
export async function createEgressRouter(
  room: TenantRoom,
  plans: readonly EgressPlan[],
): Promise<{ router: types.Router; egress: types.Router }> {
  const { router, slot } = await room.router();
  const egress = await slot.worker.createRouter({
    mediaCodecs: plans.map((p) => p.codec),
    appData: { tenantId: room.tenantId, egress: true },
  });
  return { router, egress };
}

/**
 * Pipes each planned producer from the tenant's router into the egress router and consumes it on
 * the player's transport there; returns the answer's sections and the consumers.
 */
export async function consumeInto(
  router: types.Router,
  egress: types.Router,
  transport: types.WebRtcTransport,
  plans: readonly EgressPlan[],
): Promise<{ accepted: AcceptedSection[]; consumers: types.Consumer[] }> {
  const accepted: AcceptedSection[] = [];
  const consumers: types.Consumer[] = [];
  for (const plan of plans) {
    const { pipeProducer } = await router.pipeToRouter({
      producerId: plan.producer.id,
      router: egress,
      keepId: false,
      enableSctp: false,
    });
    const extensions = (egress.rtpCapabilities.headerExtensions ?? []).filter(
      (h) =>
        h.kind === plan.producer.kind &&
        (plan.section.media.ext ?? []).some((e) => e.uri === h.uri && e.value === h.preferredId),
    );
    const consumer = await transport.consume({
      producerId: pipeProducer!.id,
      rtpCapabilities: {
        codecs: (egress.rtpCapabilities.codecs ?? [])
          .filter((c) => c.kind === plan.producer.kind && !/\/rtx$/i.test(c.mimeType))
          .map((c) => ({ ...c, rtcpFeedback: plan.codec.rtcpFeedback ?? [] })),
        headerExtensions: extensions,
      },
      paused: false,
      enableRtx: false,
    });
    consumers.push(consumer);
    accepted.push({ section: plan.section, rtpParameters: consumer.rtpParameters });
  }
  return { accepted, consumers };
}

/**
 * Opens a WHEP session for the token's unit: 404 if it is not live, 422 if the offer can receive
 * none of what it sends. Returns the session (registered in the room like a tile's, so the caps,
 * the audit events and every revocation apply) and the SDP answer.
 */
export async function openWhepSession(
  room: TenantRoom,
  req: Omit<ViewerRequest, 'router'>,
  offer: ParsedOffer,
): Promise<{ session: ViewerSession; answer: string }> {
  const publisher = room.publishers.get(req.claims.deviceId);
  if (!publisher?.live || publisher.producers.length === 0)
    throw new SfuError('not_found', 'this unit is not live right now');
  const { plans, reasons } = planEgress(offer, publisher.producers);
  if (plans.length === 0)
    throw new SfuError('unprocessable', `no media section accepted: ${reasons.join('; ')}`);

  const { router, egress } = await createEgressRouter(room, plans);
  let session: ViewerSession;
  try {
    session = await room.createViewer({ ...req, router: egress });
  } catch (err) {
    egress.close();
    throw err;
  }
  // the session owns its router: closing either (DELETE, timeout, revocation) closes the pipes too
  session.once('close', () => egress.close());
  egress.observer.once('close', () => session.close('transport_gone'));
  try {
    await session.transport.connect({ dtlsParameters: offer.dtls });
    const { accepted, consumers } = await consumeInto(router, egress, session.transport, plans);
    for (const c of consumers) session.addConsumer(c);
    // Watching starts (consumer_up, audited as `started`) when DTLS is up, not at the 201: a player
    // that never connects has watched nothing. Then a picture at once, not at the next keyframe.
    session.transport.on('dtlsstatechange', (state) => {
      if (state !== 'connected' || session.closed) return;
      session.markConsuming();
      for (const c of session.consumers.values())
        if (c.kind === 'video' && !c.closed) c.requestKeyFrame().catch(() => {});
    });
    // WHEP cannot renegotiate from the server: when the stream goes, the session goes ([E6]).
    // (addConsumer's own listener runs first and announces consumer_down `producer_gone`.)
    for (const c of consumers) c.on('producerclose', () => session.close('closed'));
    session.whep = { etag: newEtag(), remoteIceUfrag: offer.iceUfrag, firstMid: accepted[0]!.section.mid };
    return { session, answer: buildAnswer(offer, accepted, session.transport, 'sendonly') };
  } catch (err) {
    session.close('closed');
    throw err;
  }
}
