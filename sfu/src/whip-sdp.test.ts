import { describe, expect, it } from 'vitest';
import { pickSpatialLayer } from './viewer-session.ts';
import { iceServerLinks } from './whip-routes.ts';
import { parseOffer, parseSdpFrag, SdpError } from './whip-sdp.ts';

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
