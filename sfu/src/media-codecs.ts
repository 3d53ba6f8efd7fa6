/**
 * Codecs every tenant router offers: Opus audio, VP8 and H.264 video (body cameras encode H.264 in
 * hardware; browsers and the simulator prefer VP8). H.264 with packetization-mode 1 in the
 * profiles WebRTC endpoints actually send: constrained baseline, baseline, main.
 */
import type { types } from 'mediasoup';

const h264 = (profileLevelId: string): types.RouterRtpCodecCapability => ({
  kind: 'video',
  mimeType: 'video/H264',
  clockRate: 90000,
  parameters: {
    'packetization-mode': 1,
    'profile-level-id': profileLevelId,
    'level-asymmetry-allowed': 1,
  },
});

export const MEDIA_CODECS: types.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
  h264('42e01f'),
  h264('42001f'),
  h264('4d001f'),
];
