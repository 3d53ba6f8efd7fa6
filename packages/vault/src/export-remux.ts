/**
 * A playable copy of a recording for an export bundle (issue 13). The recorder's ffmpeg writes a
 * live WebM to a pipe, which cannot seek back to write the Duration and the Cues, so players and
 * `ffprobe format=duration` see none. At export the decrypted bytes are remuxed without transcoding
 * (`-c copy`, bit-exact) into a seekable file that has both. Only here does plaintext touch a disk:
 * inside a 0700 temp dir this process creates and removes (`cleanup()`, also on any failure).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { OpenedRecording } from './reader.ts';

export interface RemuxedVideo {
  path: string;
  size: number;
  sha256: string;
  /** the command that made it, as a recipient can repeat it on the signed original */
  command: string;
  cleanup(): Promise<void>;
}

const formatOf = (mediaType: string) => (mediaType.includes('matroska') ? 'matroska' : 'webm');

export const remuxArgs = (format: string, input: string, output: string): string[] => [
  ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', format, '-i', input],
  ...['-map', '0', '-c', 'copy', '-fflags', '+bitexact', '-f', format, '-y', output],
];

export async function remuxForExport(
  recording: OpenedRecording,
  mediaType: string,
  opts: { ffmpegBin?: string; tmpDir?: string } = {},
): Promise<RemuxedVideo> {
  const dir = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'lagebild-export-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const format = formatOf(mediaType);
    const out = join(dir, `video.${format === 'webm' ? 'webm' : 'mkv'}`);
    const ff = spawn(opts.ffmpegBin ?? 'ffmpeg', remuxArgs(format, 'pipe:0', out), {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    ff.stderr.setEncoding('utf8').on('data', (d: string) => {
      err = (err + d).slice(-2000);
    });
    const exited = new Promise<number | null>((resolve, reject) => {
      ff.once('error', reject);
      ff.once('close', resolve);
    });
    // ffmpeg may stop reading early on bad input: the pipe error is reported through its exit code
    await pipeline(recording.readAll(), ff.stdin).catch(() => {});
    const code = await exited;
    if (code !== 0) throw new Error(`ffmpeg remux exited with ${code}: ${err.trim()}`);
    const h = createHash('sha256');
    await pipeline(createReadStream(out), h);
    return {
      path: out,
      size: (await stat(out)).size,
      sha256: h.digest('hex'),
      command: `ffmpeg ${remuxArgs(format, '<original>', '<copy>').join(' ')}`,
      cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
