/**
 * What ffmpeg is told about the RTP the recorder sends it: an SDP with one m= line per consumer
 * (mediasoup PlainTransport → 127.0.0.1:<port>, rtcp-mux), and the container the codecs fit in.
 * WebM takes VP8 + Opus; H.264 needs Matroska. Pure functions, tested beside.
 */
import type { types } from 'mediasoup';

export interface RecorderTrack {
  kind: 'audio' | 'video';
  /** where ffmpeg listens for this track's RTP (and RTCP, muxed) */
  port: number;
  rtpParameters: types.RtpParameters;
}

export interface RecorderContainer {
  /** ffmpeg muxer name */
  format: 'webm' | 'matroska';
  mediaType: 'video/webm' | 'video/x-matroska';
}

const fmtp = (params: Record<string, unknown> | undefined): string =>
  Object.entries(params ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(';');

export function recorderSdp(tracks: RecorderTrack[], ip = '127.0.0.1'): string {
  const lines = ['v=0', `o=- 0 0 IN IP4 ${ip}`, 's=lagebild-recorder', `c=IN IP4 ${ip}`, 't=0 0'];
  for (const t of tracks) {
    const codec = t.rtpParameters.codecs[0];
    if (!codec) throw new Error(`no codec in the ${t.kind} consumer's rtpParameters`);
    const name = codec.mimeType.split('/')[1]!;
    const channels = t.kind === 'audio' && codec.channels ? `/${codec.channels}` : '';
    lines.push(
      `m=${t.kind} ${t.port} RTP/AVP ${codec.payloadType}`,
      `a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${channels}`,
    );
    const f = fmtp(codec.parameters);
    if (f) lines.push(`a=fmtp:${codec.payloadType} ${f}`);
    lines.push('a=rtcp-mux', 'a=recvonly');
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function recorderContainer(tracks: RecorderTrack[]): RecorderContainer {
  const webmOk = tracks.every((t) =>
    ['video/vp8', 'video/vp9', 'audio/opus'].includes(
      t.rtpParameters.codecs[0]?.mimeType.toLowerCase() ?? '',
    ),
  );
  return webmOk
    ? { format: 'webm', mediaType: 'video/webm' }
    : { format: 'matroska', mediaType: 'video/x-matroska' };
}

/**
 * ffmpeg's arguments: SDP in, remuxed (no transcoding) to a live, streamable container on stdout.
 * Clusters are cut every 250 ms and flushed to the pipe at once.
 */
export function ffmpegArgs(sdpFile: string, container: RecorderContainer): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'warning',
    '-nostdin',
    '-protocol_whitelist',
    'file,udp,rtp',
    '-fflags',
    '+genpts',
    // it stops probing once every track has its parameters (a VP8 keyframe gives the dimensions);
    // this is only the limit: with 3 s, a loaded machine's late keyframe made the WebM muxer fail
    // ("dimensions not set", 9 of 729 recordings in an hour's soak) and the recording restart
    '-analyzeduration',
    '10000000',
    '-i',
    sdpFile,
    '-map',
    '0',
    '-c',
    'copy',
    '-f',
    container.format,
    '-live',
    '1',
    // short clusters flushed at once: what is written is in the vault promptly, and an interrupted
    // ffmpeg loses at most the open cluster
    '-cluster_time_limit',
    '250',
    '-flush_packets',
    '1',
    'pipe:1',
  ];
}
