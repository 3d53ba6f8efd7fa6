/**
 * [E1][E2] The pure half of WHEP egress: which payload type of a player's offer carries the unit's
 * codec, which sections are answered, and the sendonly answer's SSRC lines.
 */
import type { types } from 'mediasoup';
import { describe, expect, it } from 'vitest';
import { offeredPayloadType, planEgress } from './whep-egress.ts';
import { buildAnswer, parseOffer } from './whip-sdp.ts';

const offer = (sections: string[]) =>
  [
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'a=ice-ufrag:abcd',
    'a=ice-pwd:0123456789012345678901',
    'a=fingerprint:sha-256 AA:BB',
    'a=setup:actpass',
    ...sections,
    '',
  ].join('\r\n');

const VIDEO = [
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 127',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=recvonly',
  'a=rtcp-mux',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack',
  'a=rtcp-fb:96 nack pli',
  'a=rtcp-fb:96 ccm fir',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
  'a=rtpmap:103 H264/90000',
  'a=fmtp:103 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:127 H264/90000',
  'a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
];
const AUDIO = [
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 0.0.0.0',
  'a=mid:1',
  'a=recvonly',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
];

const producer = (kind: 'audio' | 'video', codec: types.RtpCodecParameters): types.Producer =>
  ({ kind, rtpParameters: { codecs: [codec], encodings: [{ ssrc: 1 }] } }) as unknown as types.Producer;
const vp8 = producer('video', { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 });
const opus = producer('audio', { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 });
const h264 = (plid: string) =>
  producer('video', {
    mimeType: 'video/H264',
    payloadType: 102,
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': plid },
  });

describe('WHEP egress plan', () => {
  it('[E1] uses the payload type the player offered for the unit’s codec, not the router’s', () => {
    const { plans, reasons } = planEgress(parseOffer(offer([...VIDEO, ...AUDIO]), 'play'), [vp8, opus]);
    expect(reasons).toEqual([]);
    expect(plans.map((p) => [p.section.mid, p.codec.mimeType, p.codec.preferredPayloadType])).toEqual([
      ['0', 'video/VP8', 96],
      ['1', 'audio/opus', 111],
    ]);
    // plain NACK needs RTX, which WHEP sessions do not send; PLI and FIR stay
    expect(plans[0]!.codec.rtcpFeedback).toEqual([
      { type: 'nack', parameter: 'pli' },
      { type: 'ccm', parameter: 'fir' },
    ]);
  });

  it('[E1] H.264: packetization-mode must match; the same profile-level-id is preferred', () => {
    const section = parseOffer(offer([...VIDEO, ...AUDIO]), 'play').sections[0]!;
    expect(offeredPayloadType(section, h264('42e01f').rtpParameters.codecs[0]!)).toBe(127);
    expect(offeredPayloadType(section, h264('42001f').rtpParameters.codecs[0]!)).toBe(103);
    expect(offeredPayloadType(section, h264('4d001f').rtpParameters.codecs[0]!)).toBe(103);
  });

  it('[E2] a section the unit cannot fill is left out with a reason (answered port 0)', () => {
    const { plans, reasons } = planEgress(parseOffer(offer([...VIDEO, ...AUDIO]), 'play'), [vp8]);
    expect(plans.map((p) => p.section.mid)).toEqual(['0']);
    expect(reasons).toEqual(['m=audio mid 1: the unit sends no audio']);
    const onlyH264 = VIDEO.map((l) =>
      l.startsWith('m=video') ? 'm=video 9 UDP/TLS/RTP/SAVPF 102 103 127' : l,
    ).filter((l) => !/:(96|97) |VP8/.test(l));
    const none = planEgress(parseOffer(offer([...onlyH264, ...AUDIO]), 'play'), [vp8]);
    expect(none.plans).toEqual([]);
    expect(none.reasons).toEqual([
      'm=video mid 0: the unit sends video/VP8, not offered',
      'm=audio mid 1: the unit sends no audio',
    ]);
  });

  it('[E1] a WHEP offer receives: recvonly is accepted in play mode, sendonly refused', () => {
    expect(() => parseOffer(offer(AUDIO.map((l) => l.replace('recvonly', 'sendonly'))), 'play')).toThrow(
      /direction sendonly/,
    );
    expect(() => parseOffer(offer(AUDIO), 'publish')).toThrow(/direction recvonly/);
  });

  it('[E1] the sendonly answer names each stream’s SSRC and cname', () => {
    const parsed = parseOffer(offer([...VIDEO, ...AUDIO]), 'play');
    const answer = buildAnswer(
      parsed,
      [
        {
          section: parsed.sections[1]!,
          rtpParameters: {
            mid: '1',
            codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
            encodings: [{ ssrc: 4242 }],
            rtcp: { cname: 'unit' },
          },
        },
      ],
      {
        iceParameters: { usernameFragment: 'u', password: 'p', iceLite: true },
        iceCandidates: [],
        dtlsParameters: { role: 'auto', fingerprints: [{ algorithm: 'sha-256', value: 'AA' }] },
      },
      'sendonly',
    );
    expect(answer).toMatch(/m=video 0 /);
    expect(answer).toMatch(/m=audio 9 UDP\/TLS\/RTP\/SAVPF 111/);
    expect(answer).toContain('a=sendonly');
    expect(answer).toContain('a=ssrc:4242 cname:unit');
    expect(answer).toContain('a=group:BUNDLE 1');
  });
});
