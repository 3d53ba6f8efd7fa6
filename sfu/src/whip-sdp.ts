/**
 * WHIP (RFC 9725) SDP offer/answer against a mediasoup router. The publisher offers; the SFU
 * (ICE-lite, DTLS server) answers recvonly for each audio/video section it can take, all BUNDLEd on
 * one WebRtcTransport. Pure functions: parse + validate an offer (every refusal names its reason,
 * returned as 400), list candidate RTP parameters for each section, write the answer and the
 * trickle-ice-sdpfrag answer of an ICE restart.
 *
 * Bundle-only sections (issue 16, [W13]): a max-bundle offerer (GStreamer's webrtcbin, RFC 8829
 * §5.2.1) sends every section but the first as `m=… 0 … a=bundle-only`. Inside a BUNDLE group that
 * port 0 means "on the first section's transport", not "disabled".
 *
 * Every section of the answer, accepted or rejected, carries the SFU's ICE credentials and
 * a=setup, and accepted bundled sections repeat port 9 and the candidates ([W14]): webrtcbin
 * (GStreamer 1.22) refuses an answer if any section lacks ice-ufrag, ice-pwd or setup, whatever its
 * port, and requires the same ufrag across the BUNDLE group; libwebrtc (Chromium, wrtc) answers
 * this way itself. RFC 8843's other spelling (port 0 + a=bundle-only in the answer) gains nothing
 * here and older stacks take port 0 as a rejection.
 */
import type { types } from 'mediasoup';
import sdpTransform from 'sdp-transform';

export class SdpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SdpError';
  }
}

type MediaSection = sdpTransform.MediaDescription;

export interface OfferedSection {
  index: number;
  kind: 'audio' | 'video' | null;
  mid: string;
  media: MediaSection;
  /** why the section is rejected (port 0) even before codecs are matched, or null */
  rejected: string | null;
  /** port 0 + a=bundle-only in the BUNDLE group: media on the group's transport (RFC 8843 §6) */
  bundleOnly: boolean;
}

export interface ParsedOffer {
  session: sdpTransform.SessionDescription;
  sections: OfferedSection[];
  iceUfrag: string;
  icePwd: string;
  dtls: types.DtlsParameters;
  bundled: boolean;
}

const MAX_SECTIONS = 8;

/**
 * `publish`: a WHIP offer, whose sections send (sendonly/sendrecv). `play`: a WHEP offer (issue
 * 16), whose sections receive (recvonly/sendrecv). The rest of the rules are the same.
 */
export type OfferMode = 'publish' | 'play';

export function parseOffer(sdp: string, mode: OfferMode = 'publish'): ParsedOffer {
  if (!sdp.trim()) throw new SdpError('empty SDP offer');
  if (!/^v=0\r?\n/.test(sdp)) throw new SdpError('SDP must start with "v=0"');
  let session: sdpTransform.SessionDescription;
  try {
    session = sdpTransform.parse(sdp);
  } catch (err) {
    throw new SdpError(`SDP does not parse: ${(err as Error).message}`);
  }
  const media = session.media ?? [];
  if (media.length === 0) throw new SdpError('SDP offer has no media section (m=)');
  if (media.length > MAX_SECTIONS)
    throw new SdpError(`SDP offer has more than ${MAX_SECTIONS} media sections`);

  const first = media[0]!;
  const iceUfrag = first.iceUfrag ?? session.iceUfrag;
  const icePwd = first.icePwd ?? session.icePwd;
  if (!iceUfrag || !icePwd) throw new SdpError('SDP offer lacks a=ice-ufrag / a=ice-pwd');
  const fp = first.fingerprint ?? session.fingerprint;
  if (!fp?.hash || !fp.type) throw new SdpError('SDP offer lacks a=fingerprint (DTLS-SRTP is required)');
  const algorithm = fp.type.toLowerCase() as types.FingerprintAlgorithm;
  if (!['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512'].includes(algorithm)) {
    throw new SdpError(`unsupported DTLS fingerprint algorithm "${fp.type}"`);
  }
  const setup = first.setup ?? session.setup ?? 'actpass';
  // The offerer is DTLS client unless it insists on being server (a=setup:passive).
  const role: types.DtlsRole = setup === 'passive' ? 'server' : 'client';

  const bundle = (session.groups ?? []).find((g) => g.type === 'BUNDLE');
  const bundleMids = new Set(bundle ? String(bundle.mids).split(' ') : []);
  const sections = media.map((m, index): OfferedSection => {
    const kind = m.type === 'audio' || m.type === 'video' ? m.type : null;
    const mid = m.mid !== undefined ? String(m.mid) : '';
    const bundleOnly = m.port === 0 && m.bundleOnly !== undefined && bundleMids.has(mid);
    let rejected: string | null = null;
    if (!kind) rejected = `media type "${m.type}" is not accepted`;
    else if (!mid) rejected = 'section has no a=mid';
    else if (m.port === 0 && !bundleOnly) {
      rejected =
        m.bundleOnly !== undefined
          ? 'a=bundle-only section outside the a=group:BUNDLE'
          : 'section disabled by the offerer (port 0)';
    } else if (m.direction === 'inactive' || m.direction === (mode === 'publish' ? 'recvonly' : 'sendonly'))
      rejected = `direction ${m.direction}`;
    else if (!/SAVPF/.test(m.protocol))
      rejected = `transport protocol ${m.protocol} is not UDP/TLS/RTP/SAVPF`;
    else if (!m.rtcpMux) rejected = 'a=rtcp-mux is required';
    return { index, kind, mid, media: m, rejected, bundleOnly };
  });
  const accepted = sections.filter((s) => !s.rejected);
  if (accepted.length === 0) {
    throw new SdpError(
      `no usable audio/video section: ${sections.map((s) => `m=${s.media.type}: ${s.rejected}`).join('; ')}`,
    );
  }
  const mids = new Set<string>();
  for (const s of accepted) {
    if (mids.has(s.mid)) throw new SdpError(`duplicate a=mid:${s.mid}`);
    mids.add(s.mid);
  }
  const bundled = accepted.every((s) => bundleMids.has(s.mid));
  if (accepted.length > 1 && !bundled) {
    throw new SdpError('audio and video must be BUNDLEd on one transport (a=group:BUNDLE, RFC 9725 §4.5)');
  }
  return {
    session,
    sections,
    iceUfrag,
    icePwd,
    dtls: { role, fingerprints: [{ algorithm, value: fp.hash.toUpperCase() }] },
    bundled,
  };
}

function parseFmtp(config: string | undefined): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  if (!config) return out;
  for (const part of config.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    out[k] = /^\d+$/.test(v) && k !== 'profile-level-id' ? Number(v) : v;
  }
  return out;
}

function ssrcsOf(m: MediaSection): { encodings: types.RtpEncodingParameters[]; cname: string | undefined } {
  const cname = m.ssrcs?.find((s) => s.attribute === 'cname')?.value;
  const rids = m.rids?.filter((r) => r.direction === 'send') ?? [];
  if (m.simulcast && rids.length > 0) {
    // a=simulcast:send q;h;f (alternatives with ',', paused with '~'): offer order = low → high.
    const list = String(m.simulcast.list1)
      .split(';')
      .map((alt) => alt.split(',')[0]!.replace(/^~/, ''));
    const known = new Set(rids.map((r) => String(r.id)));
    return { encodings: list.filter((r) => known.has(r)).map((rid) => ({ rid })), cname };
  }
  const fid = new Map<number, number>();
  let sim: number[] | undefined;
  for (const g of m.ssrcGroups ?? []) {
    const ids = g.ssrcs.split(' ').map(Number);
    if (g.semantics === 'FID' && ids.length === 2) fid.set(ids[0]!, ids[1]!);
    if (g.semantics === 'SIM') sim = ids;
  }
  const rtxSsrcs = new Set(fid.values());
  const primaries =
    sim ?? [...new Set((m.ssrcs ?? []).map((s) => Number(s.id)))].filter((id) => !rtxSsrcs.has(id));
  if (primaries.length === 0) return { encodings: [{}], cname }; // MID-only: mediasoup learns the SSRC
  const list = sim ? primaries : primaries.slice(0, 1);
  return {
    encodings: list.map((ssrc) => ({ ssrc, ...(fid.has(ssrc) ? { rtx: { ssrc: fid.get(ssrc)! } } : {}) })),
    cname,
  };
}

/** which congestion feedback a publisher's transport negotiates (W16) */
export type PublisherFeedback = 'remb' | 'transport-cc';

const TRANSPORT_WIDE_CC = /transport-wide-cc/;
const ABS_SEND_TIME = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';

/**
 * The congestion feedback the SFU gives a publisher (issue 17). mediasoup keeps one receive-side
 * estimator per transport, of the kind the first producer that qualifies negotiates (transport-cc
 * before REMB). libwebrtc publishers (Chromium, the simulator) offer both. With transport-cc,
 * mediasoup's feedback drove the simulator's send-side estimate to libwebrtc's floor (30 kbit/s)
 * and its pacer held each packet 0.4–0.7 s on a quiet machine; with REMB its estimate was
 * 1.2 Mbit/s and the SFU path as fast as a direct connection (`bench:video -- --latency-only`,
 * docs/benchmarks.md). So: REMB whenever a video section offers it (goog-remb and abs-send-time),
 * for the whole offer (audio too, so no audio producer claims the estimator for transport-cc);
 * transport-cc for publishers that offer only that (GStreamer's webrtcbin, once its twcc header
 * extension is added).
 */
export function publisherFeedback(sections: OfferedSection[]): PublisherFeedback {
  const remb = sections.some(
    (s) =>
      !s.rejected &&
      s.kind === 'video' &&
      (s.media.rtcpFb ?? []).some((f) => f.type === 'goog-remb') &&
      (s.media.ext ?? []).some((e) => e.uri === ABS_SEND_TIME),
  );
  return remb ? 'remb' : 'transport-cc';
}

/**
 * RTP parameters to try for one section, best first: one per offered codec the router knows, in the
 * offerer's order (its preference), each with its RTX, feedback and the router's header extensions
 * (without transport-cc when the publisher gets REMB: `publisherFeedback`).
 * mediasoup itself decides the fine print (H.264 profile compatibility) when producing.
 */
export function producerCandidates(
  section: OfferedSection,
  caps: types.RtpCapabilities,
  feedback: PublisherFeedback = 'transport-cc',
): types.RtpParameters[] {
  const withoutTcc = feedback === 'remb';
  const m = section.media;
  const kind = section.kind!;
  const routerMimes = new Set(
    (caps.codecs ?? []).filter((c) => c.kind === kind).map((c) => c.mimeType.toLowerCase()),
  );
  const fmtps = new Map((m.fmtp ?? []).map((f) => [f.payload, f.config]));
  const extensions = (m.ext ?? [])
    .filter((e) =>
      (caps.headerExtensions ?? []).some(
        (h) =>
          h.kind === kind && h.uri === e.uri && (h.direction === 'sendrecv' || h.direction === 'recvonly'),
      ),
    )
    .filter((e) => !(withoutTcc && TRANSPORT_WIDE_CC.test(e.uri)))
    .map((e) => ({ uri: e.uri as types.RtpHeaderExtensionUri, id: e.value }));
  const { encodings, cname } = ssrcsOf(m);
  const out: types.RtpParameters[] = [];
  for (const rtp of m.rtp) {
    const mimeType = `${kind}/${rtp.codec}`;
    if (!routerMimes.has(mimeType.toLowerCase())) continue;
    const parameters = parseFmtp(fmtps.get(rtp.payload));
    if (rtp.codec.toLowerCase() === 'h264' && Number(parameters['packetization-mode'] ?? 0) !== 1) continue;
    const rtcpFeedback = (m.rtcpFb ?? [])
      .filter((f) => String(f.payload) === String(rtp.payload) || f.payload === '*')
      .filter((f) => !(withoutTcc && f.type === 'transport-cc'))
      .map((f) => ({ type: f.type, parameter: f.subtype ?? '' }));
    const codec: types.RtpCodecParameters = {
      mimeType,
      payloadType: rtp.payload,
      clockRate: rtp.rate ?? 90000,
      ...(kind === 'audio' ? { channels: rtp.encoding ?? 1 } : {}),
      parameters,
      rtcpFeedback,
    };
    const codecs = [codec];
    const rtx = m.rtp.find(
      (r) => r.codec.toLowerCase() === 'rtx' && Number(parseFmtp(fmtps.get(r.payload)).apt) === rtp.payload,
    );
    if (rtx && kind === 'video') {
      codecs.push({
        mimeType: 'video/rtx',
        payloadType: rtx.payload,
        clockRate: rtx.rate ?? 90000,
        parameters: { apt: rtp.payload },
        rtcpFeedback: [],
      });
    }
    out.push({
      mid: section.mid,
      codecs,
      headerExtensions: extensions,
      encodings: encodings.map((e) => ({ ...e })),
      rtcp: { ...(cname ? { cname } : {}), reducedSize: Boolean(m.rtcpRsize) },
    });
  }
  return out;
}

export interface AcceptedSection {
  section: OfferedSection;
  rtpParameters: types.RtpParameters;
}

export interface LocalTransport {
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
}

function candidatesOf(t: LocalTransport): NonNullable<MediaSection['candidates']> {
  return t.iceCandidates.map((c) => ({
    foundation: c.foundation,
    component: 1,
    transport: c.protocol,
    priority: c.priority,
    ip: c.address,
    port: c.port,
    type: c.type,
    ...(c.tcpType ? { tcptype: c.tcpType } : {}),
  }));
}

let sessionCounter = 0;

/**
 * The SDP answer: recvonly (WHIP) or sendonly (WHEP, with the SSRC and cname each consumer sends)
 * for accepted sections, port 0 for the rest, ICE-lite, DTLS by role.
 */
export function buildAnswer(
  offer: ParsedOffer,
  accepted: AcceptedSection[],
  local: LocalTransport,
  direction: 'recvonly' | 'sendonly' = 'recvonly',
): string {
  const byIndex = new Map(accepted.map((a) => [a.section.index, a]));
  const fp =
    local.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256') ??
    local.dtlsParameters.fingerprints[0]!;
  const setup = offer.dtls.role === 'client' ? 'passive' : 'active';
  const media: MediaSection[] = offer.sections.map((s) => {
    const a = byIndex.get(s.index);
    const base = {
      type: s.media.type,
      protocol: s.media.protocol,
      connection: { version: 4, ip: '0.0.0.0' },
      ...(s.mid ? { mid: s.mid } : {}),
      // in every section, rejected ones too: webrtcbin refuses an answer without them ([W14])
      iceUfrag: local.iceParameters.usernameFragment,
      icePwd: local.iceParameters.password,
      setup,
    };
    if (!a) {
      return {
        ...base,
        port: 0,
        payloads: String(s.media.payloads ?? s.media.rtp[0]?.payload ?? 0),
        rtp: [],
        fmtp: [],
        direction: 'inactive' as const,
      };
    }
    const p = a.rtpParameters;
    const rtp = p.codecs.map((c) => ({
      payload: c.payloadType,
      codec: c.mimeType.split('/')[1]!,
      rate: c.clockRate,
      ...(c.channels && c.channels > 1 ? { encoding: c.channels } : {}),
    }));
    const fmtp = p.codecs
      .filter((c) => c.parameters && Object.keys(c.parameters).length > 0)
      .map((c) => ({
        payload: c.payloadType,
        config: Object.entries(c.parameters!)
          .map(([k, v]) => `${k}=${v}`)
          .join(';'),
      }));
    const rtcpFb = p.codecs.flatMap((c) =>
      (c.rtcpFeedback ?? []).map((f) => ({
        payload: c.payloadType,
        type: f.type,
        ...(f.parameter ? { subtype: f.parameter } : {}),
      })),
    );
    const rids = p.encodings?.filter((e) => e.rid).map((e) => ({ id: e.rid!, direction: 'recv' as const }));
    const ssrc = direction === 'sendonly' ? p.encodings?.[0]?.ssrc : undefined;
    const cname = p.rtcp?.cname ?? 'lagebild-sfu';
    return {
      ...base,
      port: 9,
      payloads: p.codecs.map((c) => c.payloadType).join(' '),
      rtp,
      fmtp,
      rtcpFb,
      ext: (p.headerExtensions ?? []).map((e) => ({ value: e.id, uri: e.uri })),
      direction,
      rtcpMux: 'rtcp-mux' as const,
      ...(p.rtcp?.reducedSize ? { rtcpRsize: 'rtcp-rsize' as const } : {}),
      candidates: candidatesOf(local),
      endOfCandidates: 'end-of-candidates' as const,
      ...(rids && rids.length > 0 && direction === 'recvonly'
        ? { rids, simulcast: { dir1: 'recv', list1: rids.map((r) => r.id).join(';') } }
        : {}),
      ...(ssrc !== undefined
        ? {
            msid: [{ id: 'lagebild', appdata: `${s.media.type}-${s.mid}` }],
            ssrcs: [
              { id: ssrc, attribute: 'cname', value: cname },
              { id: ssrc, attribute: 'msid', value: `lagebild ${s.media.type}-${s.mid}` },
            ],
          }
        : {}),
    };
  });
  const mids = accepted.map((a) => a.section.mid);
  const answer: sdpTransform.SessionDescription = {
    version: 0,
    origin: {
      username: 'lagebild-sfu',
      sessionId: `${Date.now()}${++sessionCounter}`,
      sessionVersion: 1,
      netType: 'IN',
      ipVer: 4,
      address: '127.0.0.1',
    },
    name: '-',
    timing: { start: 0, stop: 0 },
    icelite: 'ice-lite',
    fingerprint: { type: fp.algorithm, hash: fp.value },
    ...(offer.bundled ? { groups: [{ type: 'BUNDLE', mids: mids.join(' ') }] } : {}),
    msidSemantic: { semantic: 'WMS', token: '*' },
    media,
  };
  return sdpTransform.write(answer);
}

/** ICE credentials of a trickle-ice-sdpfrag body (RFC 8840), to detect an ICE restart. */
export function parseSdpFrag(frag: string): {
  iceUfrag: string | null;
  icePwd: string | null;
  candidates: number;
} {
  if (frag.length > 0 && !/^(a=|m=|\r?\n)/m.test(frag)) throw new SdpError('not an SDP fragment');
  const ufrag = /^a=ice-ufrag:(\S+)/m.exec(frag)?.[1] ?? null;
  const pwd = /^a=ice-pwd:(\S+)/m.exec(frag)?.[1] ?? null;
  const candidates = (frag.match(/^a=candidate:/gm) ?? []).length;
  return { iceUfrag: ufrag, icePwd: pwd, candidates };
}

/** The answer fragment of an ICE restart: the SFU's new credentials and its candidates. */
export function buildRestartFrag(local: LocalTransport, mid: string): string {
  const lines = [
    'a=ice-lite',
    `a=ice-ufrag:${local.iceParameters.usernameFragment}`,
    `a=ice-pwd:${local.iceParameters.password}`,
    `m=audio 9 UDP/TLS/RTP/SAVPF 0`,
    `a=mid:${mid}`,
    ...candidatesOf(local).map(
      (c) =>
        `a=candidate:${c.foundation} ${c.component} ${c.transport} ${c.priority} ${c.ip} ${c.port} typ ${c.type}${c.tcptype ? ` tcptype ${c.tcptype}` : ''}`,
    ),
    'a=end-of-candidates',
  ];
  return `${lines.join('\r\n')}\r\n`;
}
