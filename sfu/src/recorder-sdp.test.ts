import { describe, expect, it } from 'vitest';
import { ffmpegArgs, type RecorderTrack, recorderContainer, recorderSdp } from './recorder-sdp.ts';

const vp8: RecorderTrack = {
  kind: 'video',
  port: 40000,
  rtpParameters: {
    codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }],
    encodings: [{ ssrc: 1 }],
  },
};
const opus: RecorderTrack = {
  kind: 'audio',
  port: 40002,
  rtpParameters: {
    codecs: [
      {
        mimeType: 'audio/opus',
        payloadType: 100,
        clockRate: 48000,
        channels: 2,
        parameters: { useinbandfec: 1 },
      },
    ],
    encodings: [{ ssrc: 2 }],
  },
};
const h264: RecorderTrack = {
  kind: 'video',
  port: 40004,
  rtpParameters: {
    codecs: [
      {
        mimeType: 'video/H264',
        payloadType: 107,
        clockRate: 90000,
        parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' },
      },
    ],
    encodings: [{ ssrc: 3 }],
  },
};

describe('recorder SDP for ffmpeg', () => {
  it('describes each consumer as an m= line on its own loopback port with its codec', () => {
    const sdp = recorderSdp([vp8, opus]);
    expect(sdp).toContain('c=IN IP4 127.0.0.1');
    expect(sdp).toContain('m=video 40000 RTP/AVP 101\r\na=rtpmap:101 VP8/90000');
    expect(sdp).toContain(
      'm=audio 40002 RTP/AVP 100\r\na=rtpmap:100 opus/48000/2\r\na=fmtp:100 useinbandfec=1',
    );
  });

  it('passes H.264 fmtp through (packetization-mode, profile)', () => {
    expect(recorderSdp([h264])).toContain('a=fmtp:107 packetization-mode=1;profile-level-id=42e01f');
  });

  it('chooses WebM for VP8 + Opus and Matroska when H.264 is in it', () => {
    expect(recorderContainer([vp8, opus])).toEqual({ format: 'webm', mediaType: 'video/webm' });
    expect(recorderContainer([h264, opus])).toEqual({ format: 'matroska', mediaType: 'video/x-matroska' });
  });

  it('remuxes without transcoding to a live container on stdout', () => {
    const args = ffmpegArgs('/tmp/x.sdp', { format: 'webm', mediaType: 'video/webm' });
    expect(args.join(' ')).toContain('-c copy -f webm -live 1');
    expect(args.at(-1)).toBe('pipe:1');
  });
});
