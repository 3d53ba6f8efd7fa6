/**
 * Feeds an existing media file through the recording writer, exactly as the live recorder feeds
 * ffmpeg's output: used by tests and the demo until the SFU recorder exists, and by `makeTestVideo`
 * to produce a real WebM (VP8 + Opus) with ffmpeg's test sources.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createRecordingWriter, type RecordingWriterOptions, type SealedRecording } from './writer.ts';

export async function ingestFile(path: string, opts: RecordingWriterOptions): Promise<SealedRecording> {
  const writer = await createRecordingWriter(opts);
  const sink = writer.writable();
  await pipeline(createReadStream(path, { highWaterMark: 256 * 1024 }), sink);
  return sink.sealed;
}

/** A real WebM from ffmpeg's test picture and tone (needs the `ffmpeg` binary). */
export async function makeTestVideo(
  path: string,
  opts: { seconds?: number; size?: string } = {},
): Promise<void> {
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${opts.size ?? '320x240'}:rate=25`,
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    String(opts.seconds ?? 10),
    '-c:v',
    'libvpx',
    '-b:v',
    '600k',
    '-deadline',
    'realtime',
    '-cpu-used',
    '8',
    '-c:a',
    'libopus',
    '-f',
    'webm',
    path,
  ];
  await new Promise<void>((resolve, reject) => {
    const p = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
    });
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}: ${err}`)),
    );
  });
}
