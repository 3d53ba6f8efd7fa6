import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { matroskaSpan } from './matroska-span.ts';

const dir = mkdtempSync(join(tmpdir(), 'lagebild-mkvspan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** a live WebM as the recorder's ffmpeg writes it (short clusters, unknown sizes), VP8 + Opus */
function liveWebm(seconds: number): Buffer {
  const out = join(dir, `live-${seconds}.webm`);
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=160x120:rate=15:duration=${seconds}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:duration=${seconds}`,
    '-c:v',
    'libvpx',
    '-b:v',
    '200k',
    '-c:a',
    'libopus',
    '-f',
    'webm',
    '-live',
    '1',
    '-cluster_time_limit',
    '250',
    out,
  ]);
  return readFileSync(out);
}

/** what ffprobe reports: the span of the packets' pts over all streams */
function ffprobeSpanS(file: Buffer): number {
  const path = join(dir, 'probe.webm');
  writeFileSync(path, file);
  const json = execFileSync('ffprobe', [
    '-v',
    'error',
    '-of',
    'json',
    '-show_entries',
    'packet=pts_time',
    path,
  ]);
  const pts = (JSON.parse(String(json)).packets as { pts_time: string }[]).map((p) => Number(p.pts_time));
  return Math.max(...pts) - Math.min(...pts);
}

describe('the span a Matroska stream holds (issue 13)', () => {
  const file = liveWebm(4);

  it("equals ffprobe's packet span, whatever the chunking", () => {
    const expected = ffprobeSpanS(file);
    expect(expected).toBeGreaterThan(3.5);
    for (const size of [1, 7, 188, 4096, file.length]) {
      const span = matroskaSpan();
      for (let at = 0; at < file.length; at += size) span.push(file.subarray(at, at + size));
      expect(span.spanS).toBeCloseTo(expected, 3);
      expect(span.blocks).toBeGreaterThan(60);
    }
  });

  it('a truncated stream holds less, and says so', () => {
    const span = matroskaSpan();
    span.push(file.subarray(0, Math.floor(file.length / 2)));
    expect(span.spanS).toBeGreaterThan(0.5);
    expect(span.spanS).toBeLessThan(ffprobeSpanS(file) - 0.5);
  });

  it('bytes that are not Matroska give no span, never a made-up one', () => {
    const span = matroskaSpan();
    span.push(Buffer.from([0x00, 0x00, 0x00, 0x00, 0x01, 0x02]));
    span.push(file);
    expect(span.spanS).toBe(0);
    expect(span.blocks).toBe(0);
  });
});
