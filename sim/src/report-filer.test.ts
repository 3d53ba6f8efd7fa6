import type { DeviceReportInput, ReportAck } from '@lagebild/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mulberry32 } from './prng.ts';
import { createReportFiler, draftReport } from './report-filer.ts';
import type { SimEvent } from './types.ts';

const stage = (
  to: Extract<SimEvent, { type: 'stage' }>['to'],
  announced: boolean | null = null,
): SimEvent => ({
  type: 'stage',
  deviceId: 'd1',
  from: 'standby',
  to,
  announced,
  unannouncedReason: null,
  manual: false,
});

describe('createReportFiler()', () => {
  let clock = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 1_000_000;
  });
  afterEach(() => vi.useRealTimers());

  function filer() {
    const sent: DeviceReportInput[] = [];
    const f = createReportFiler({
      rng: mulberry32(1),
      fileShare: 1,
      delayMs: [1000, 1000],
      now: () => clock,
      uuid: () => `id-${sent.length}`,
      send: async (_id, r): Promise<ReportAck> => {
        sent.push(r);
        return { ok: true, reportId: r.reportId, duplicate: false };
      },
    });
    return { f, sent };
  }

  it('files one report per episode after the quiet time, with a time inside the episode', async () => {
    const { f, sent } = filer();
    f.onEvent(stage('display'));
    clock += 30_000;
    f.onEvent(stage('recording', true));
    clock += 30_000;
    f.onEvent(stage('standby'));
    await vi.advanceTimersByTimeAsync(60_999);
    expect(sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.episodeAt).toBe(1_030_000);
    expect(sent[0]!.announcementGiven).toBe(true);
    expect(f.counts()).toMatchObject({ filed: 1, open: 0 });
  });

  it('a display within the quiet time continues the episode: still one report', async () => {
    const { f, sent } = filer();
    f.onEvent(stage('display'));
    f.onEvent(stage('standby'));
    await vi.advanceTimersByTimeAsync(30_000);
    f.onEvent(stage('display'));
    f.onEvent(stage('standby'));
    await vi.advanceTimersByTimeAsync(120_000);
    expect(sent).toHaveLength(1);
  });
});

describe('draftReport()', () => {
  it('reports assaults mostly after recordings, rarely after the display alone', () => {
    const rng = mulberry32(7);
    const share = (maxStage: 'display' | 'recording') => {
      let n = 0;
      for (let i = 0; i < 5000; i++) {
        const r = draftReport(rng, { startedAt: 0, endedAt: 10, maxStage, announced: true }, 'x');
        if (r.assault !== 'none') n++;
      }
      return n / 5000;
    };
    expect(share('recording')).toBeGreaterThan(0.2);
    expect(share('display')).toBeLessThan(0.02);
  });
});
