import { readFileSync } from 'node:fs';
import type { types } from 'mediasoup';
import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { MEDIA_CODECS } from './media-codecs.ts';
import { pickSpatialLayer } from './viewer-session.ts';
import { iceServerLinks } from './whip-routes.ts';
import {
  type AcceptedSection,
  buildAnswer,
  buildRestartFrag,
  type LocalTransport,
  parseOffer,
  parseSdpFrag,
  producerCandidates,
  publisherFeedback,
  SdpError,
} from './whip-sdp.ts';

/** Offers captured from real publishers (issue 16): GStreamer 1.22 webrtcbin and Chromium 150. */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}.sdp`, import.meta.url), 'utf8');

const OFFER = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=sendonly',
  'a=rtcp-mux',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:0123456789012345678901',
  'a=fingerprint:sha-256 AA:BB',
  'a=setup:actpass',
  'a=rtpmap:111 opus/48000/2',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 0.0.0.0',
  'a=mid:1',
  'a=sendonly',
  'a=rtcp-mux',
  'a=rtpmap:96 VP8/90000',
  '',
].join('\r\n');

describe('parseOffer [W2]', () => {
  it('accepts a bundled audio+video offer; the offerer is DTLS client', () => {
    const o = parseOffer(OFFER);
    expect(o.sections.map((s) => [s.kind, s.mid, s.rejected])).toEqual([
      ['audio', '0', null],
      ['video', '1', null],
    ]);
    expect(o.dtls.role).toBe('client');
  });

  it('names what is wrong', () => {
    expect(() => parseOffer('')).toThrow(SdpError);
    expect(() => parseOffer('hello')).toThrow(/v=0/);
    expect(() => parseOffer(OFFER.replace(/a=fingerprint.*\r\n/, ''))).toThrow(/fingerprint/);
    expect(() => parseOffer(OFFER.replace('a=group:BUNDLE 0 1\r\n', ''))).toThrow(/BUNDLE/);
    expect(() => parseOffer(OFFER.replace(/a=sendonly/g, 'a=recvonly'))).toThrow(/no usable/);
  });
});

describe('layers and links', () => {
  it('[V4] picks the lowest layer at least as tall as the tile', () => {
    expect(pickSpatialLayer(3, 720, 170)).toBe(0); // 180p
    expect(pickSpatialLayer(3, 720, 300)).toBe(1); // 360p
    expect(pickSpatialLayer(3, 720, 1080)).toBe(2);
    expect(pickSpatialLayer(1, 720, 100)).toBe(0);
  });

  it('[W1] writes one Link per ICE server URL with TURN credentials', () => {
    expect(
      iceServerLinks([{ urls: ['stun:a.example', 'turn:b.example'], username: 'u', credential: 'p"w' }]),
    ).toEqual([
      '<stun:a.example>; rel="ice-server"; username="u"; credential="p\\"w"; credential-type="password"',
      '<turn:b.example>; rel="ice-server"; username="u"; credential="p\\"w"; credential-type="password"',
    ]);
  });

  it('[W8] tells an ICE restart fragment from a trickle one', () => {
    expect(
      parseSdpFrag(
        'a=ice-ufrag:x\r\na=ice-pwd:y\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\na=candidate:1 1 udp 1 1.2.3.4 5 typ host\r\n',
      ),
    ).toEqual({
      iceUfrag: 'x',
      icePwd: 'y',
      candidates: 1,
    });
    expect(() => parseSdpFrag('garbage')).toThrow(SdpError);
  });
});

const CAPS: types.RtpCapabilities = {
  codecs: MEDIA_CODECS.map((c) => ({ ...c, preferredPayloadType: 100 })) as types.RtpCodecCapability[],
  headerExtensions: [],
};
const LOCAL: LocalTransport = {
  iceParameters: { usernameFragment: 'sfuufrag', password: 'sfupassword0123456789', iceLite: true },
  iceCandidates: [
    {
      foundation: 'udpcandidate',
      priority: 1076558079,
      address: '127.0.0.1',
      protocol: 'udp',
      port: 40000,
      type: 'host',
    },
    {
      foundation: 'tcpcandidate',
      priority: 1076276479,
      address: '127.0.0.1',
      protocol: 'tcp',
      port: 40000,
      type: 'host',
      tcpType: 'passive',
    },
  ] as types.IceCandidate[],
  dtlsParameters: { role: 'auto', fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] },
};

/** What the SFU does with an offer, minus mediasoup: the first candidate of each usable section. */
function answerFor(sdp: string): { answer: sdpTransform.SessionDescription; accepted: AcceptedSection[] } {
  const offer = parseOffer(sdp);
  const accepted = offer.sections
    .filter((s) => !s.rejected)
    .map((section) => ({ section, rtpParameters: producerCandidates(section, CAPS)[0]! }))
    .filter((a) => a.rtpParameters);
  return { answer: sdpTransform.parse(buildAnswer(offer, accepted, LOCAL)), accepted };
}

/**
 * The checks GStreamer 1.22's webrtcbin makes on a remote description (webrtcsdp.c validate_sdp):
 * every section needs a=mid, ice-ufrag and ice-pwd (session or media level) and its own a=setup;
 * the sections of the BUNDLE group must share one ufrag/pwd. A failure is "media 1 is missing or
 * contains an empty 'ice-ufrag' attribute", and webrtcbin drops the whole answer.
 */
function webrtcbinRefusal(answer: sdpTransform.SessionDescription): string | null {
  const group = answer.groups?.find((g) => g.type === 'BUNDLE');
  const mids = new Set(group ? String(group.mids).split(' ') : []);
  let ufrag: string | undefined;
  for (const [i, m] of answer.media.entries()) {
    if (m.mid === undefined) return `media ${i} has no mid`;
    if (!(answer.iceUfrag ?? m.iceUfrag)) return `media ${i} is missing ice-ufrag`;
    if (!(answer.icePwd ?? m.icePwd)) return `media ${i} is missing ice-pwd`;
    if (!m.setup) return `media ${i} is missing setup`;
    if (mids.has(String(m.mid))) {
      ufrag ??= m.iceUfrag;
      if (m.iceUfrag !== ufrag) return `media ${i} has another ice-ufrag in the bundle`;
    }
  }
  return null;
}

describe('offers of standard WHIP clients (issue 16)', () => {
  it('[W13] GStreamer max-bundle: the port-0 a=bundle-only audio section is on the BUNDLE transport, not rejected', () => {
    const offer = parseOffer(fixture('gstreamer-max-bundle'));
    expect(offer.sections.map((s) => [s.kind, s.mid, s.media.port, s.bundleOnly, s.rejected])).toEqual([
      ['video', 'video0', 9, false, null],
      ['audio', 'audio1', 0, true, null],
    ]);
    expect(offer.bundled).toBe(true);
  });

  it('[W13] a port-0 section without a=bundle-only, or outside the BUNDLE group, is still rejected', () => {
    const sdp = fixture('gstreamer-max-bundle');
    const disabled = parseOffer(sdp.replace('a=bundle-only\r\n', ''));
    expect(disabled.sections[1]!.rejected).toMatch(/disabled by the offerer/);
    const outside = parseOffer(sdp.replace('a=group:BUNDLE video0 audio1', 'a=group:BUNDLE video0'));
    expect(outside.sections[1]!.rejected).toMatch(/outside the a=group:BUNDLE/);
  });

  it('[W14] answers a max-bundle offer so that webrtcbin takes it: every section has ICE credentials and setup, one bundle', () => {
    const { answer, accepted } = answerFor(fixture('gstreamer-max-bundle'));
    expect(accepted.map((a) => a.rtpParameters.codecs[0]!.mimeType)).toEqual(['video/VP8', 'audio/OPUS']);
    expect(webrtcbinRefusal(answer)).toBeNull();
    expect(answer.groups).toEqual([{ type: 'BUNDLE', mids: 'video0 audio1' }]);
    for (const m of answer.media) {
      expect(m.port).toBe(9);
      expect(m.bundleOnly).toBeUndefined();
      expect([m.iceUfrag, m.icePwd, m.setup, m.direction]).toEqual([
        'sfuufrag',
        'sfupassword0123456789',
        'passive',
        'recvonly',
      ]);
      expect(m.candidates).toHaveLength(2);
      expect(m.endOfCandidates).toBe('end-of-candidates');
    }
    expect(answer.icelite).toBe('ice-lite');
  });

  it('[W14] a rejected section keeps the ICE credentials and setup (webrtcbin refuses the answer otherwise)', () => {
    const sdp = fixture('gstreamer-max-bundle').replace(
      'a=rtpmap:111 OPUS/48000/2',
      'a=rtpmap:111 G722/8000',
    );
    const { answer, accepted } = answerFor(sdp);
    expect(accepted.map((a) => a.section.mid)).toEqual(['video0']);
    expect(answer.media[1]).toMatchObject({
      port: 0,
      direction: 'inactive',
      iceUfrag: 'sfuufrag',
      setup: 'passive',
    });
    expect(answer.groups).toEqual([{ type: 'BUNDLE', mids: 'video0' }]);
    expect(webrtcbinRefusal(answer)).toBeNull();
  });

  it('[W13] GStreamer max-compat and Chromium max-bundle (port 9 everywhere): both sections accepted', () => {
    for (const name of ['gstreamer-max-compat', 'chromium-max-bundle']) {
      const { answer, accepted } = answerFor(fixture(name));
      expect(accepted.map((a) => a.section.kind).sort()).toEqual(['audio', 'video']);
      expect(webrtcbinRefusal(answer)).toBeNull();
    }
  });

  it('[W1] audio-only and H.264 video-only offers from GStreamer', () => {
    const audio = answerFor(fixture('gstreamer-audio-only'));
    expect(audio.accepted.map((a) => a.rtpParameters.codecs[0]!.mimeType)).toEqual(['audio/OPUS']);
    expect(webrtcbinRefusal(audio.answer)).toBeNull();
    const h264 = answerFor(fixture('gstreamer-h264-video-only'));
    expect(h264.accepted.map((a) => a.rtpParameters.codecs[0]!.mimeType)).toEqual(['video/H264']);
    expect(h264.accepted[0]!.rtpParameters.codecs[0]!.parameters).toMatchObject({ 'packetization-mode': 1 });
    expect(webrtcbinRefusal(h264.answer)).toBeNull();
  });

  it('[W1] Chromium: VP8 first, H.264 (packetization-mode 1) and RTX among the candidates, MID/ssrc from the offer', () => {
    const offer = parseOffer(fixture('chromium-max-bundle'));
    const video = offer.sections.find((s) => s.kind === 'video')!;
    const mimes = producerCandidates(video, CAPS).map((p) => p.codecs.map((c) => c.mimeType).join('+'));
    expect(mimes[0]).toBe('video/VP8+video/rtx');
    expect(mimes).toContain('video/H264+video/rtx');
  });

  it('[W8] ICE restart: the answer fragment carries the new credentials, candidates and end-of-candidates', () => {
    const frag = buildRestartFrag(LOCAL, 'video0');
    expect(parseSdpFrag(frag)).toEqual({
      iceUfrag: 'sfuufrag',
      icePwd: 'sfupassword0123456789',
      candidates: 2,
    });
    expect(frag).toMatch(/a=mid:video0\r\n/);
    expect(frag).toMatch(/a=end-of-candidates\r\n$/);
  });
});

describe('congestion feedback to a publisher (issue 17)', () => {
  const CAPS_EXT: types.RtpCapabilities = {
    ...CAPS,
    headerExtensions: (['audio', 'video'] as const).flatMap((kind) => [
      {
        kind,
        uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
        preferredId: 4,
        direction: 'sendrecv',
      },
      {
        kind,
        uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
        preferredId: 5,
        direction: 'sendrecv',
      },
    ]) as types.RtpHeaderExtension[],
  };
  const feedbackOf = (p: types.RtpParameters) =>
    p.codecs.flatMap((c) => c.rtcpFeedback ?? []).map((f) => f.type);
  const extensionsOf = (p: types.RtpParameters) => (p.headerExtensions ?? []).map((e) => e.uri);

  it('[W16] a libwebrtc offer (goog-remb and transport-cc) gets REMB: transport-cc is left out of every section', () => {
    const offer = parseOffer(fixture('chromium-max-bundle'));
    expect(publisherFeedback(offer.sections)).toBe('remb');
    const accepted = offer.sections
      .filter((s) => !s.rejected)
      .map((section) => ({ section, rtpParameters: producerCandidates(section, CAPS_EXT, 'remb')[0]! }));
    expect(accepted.map((a) => a.section.kind).sort()).toEqual(['audio', 'video']);
    for (const { rtpParameters } of accepted) {
      expect(feedbackOf(rtpParameters)).not.toContain('transport-cc');
      expect(extensionsOf(rtpParameters).some((u) => u.includes('transport-wide-cc'))).toBe(false);
    }
    const video = accepted.find((a) => a.section.kind === 'video')!.rtpParameters;
    expect(feedbackOf(video)).toContain('goog-remb');
    expect(extensionsOf(video)).toContain('http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time');
    // and the answer says so
    const answer = buildAnswer(offer, accepted, LOCAL);
    expect(answer).not.toMatch(/transport-cc|transport-wide-cc/);
    expect(answer).toMatch(/a=rtcp-fb:\d+ goog-remb/);
  });

  it('[W16] an offer with transport-cc only (GStreamer webrtcbin) keeps it; without the choice nothing is dropped', () => {
    const offer = parseOffer(fixture('gstreamer-max-bundle'));
    expect(publisherFeedback(offer.sections)).toBe('transport-cc');
    const video = offer.sections.find((s) => s.kind === 'video')!;
    expect(feedbackOf(producerCandidates(video, CAPS_EXT, 'transport-cc')[0]!)).toContain('transport-cc');
    const chromiumVideo = parseOffer(fixture('chromium-max-bundle')).sections.find(
      (s) => s.kind === 'video',
    )!;
    const both = producerCandidates(chromiumVideo, CAPS_EXT)[0]!;
    expect(feedbackOf(both)).toEqual(expect.arrayContaining(['transport-cc', 'goog-remb']));
  });
});
