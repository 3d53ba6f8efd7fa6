import { describe, expect, it } from 'vitest';
import { deriveEpisodes } from './episodes.ts';
import { localToEpoch, localWeekdayHour } from './local-time.ts';
import { generatePilot } from './pilot-generator.ts';

describe('generatePilot()', () => {
  const pilot = generatePilot();
  it('is deterministic: same seed, same data', () => {
    expect(generatePilot()).toEqual(pilot);
    expect(generatePilot({ seed: 1 })).not.toEqual(pilot);
  });
  it('covers 20 cameras in two teams over about 3.5 months', () => {
    expect(pilot.cameras).toHaveLength(20);
    expect(new Set(pilot.cameras.map((c) => c.team)).size).toBe(2);
    expect([pilot.startDay, pilot.endDay]).toEqual(['2026-07-01', '2026-10-15']);
  });
  it('is calibrated on the pilots: display is common, recordings rare, assaults below the baseline', () => {
    const hours =
      pilot.cameras.flatMap((c) => c.shifts).reduce((s, x) => s + (x.endedAt - x.startedAt), 0) / 3.6e6;
    const episodes = pilot.cameras.flatMap(
      (c) =>
        deriveEpisodes(
          c.events.map((e) => ({ ...e })),
          { horizonAt: Date.now() },
        ).episodes,
    );
    const recordings = episodes.filter((e) => e.recordingAt !== null).length;
    const assaults = pilot.cameras.flatMap((c) => c.reports).filter((r) => r.assault !== 'none').length;
    expect(hours).toBeGreaterThan(8000);
    expect(hours).toBeLessThan(14000);
    expect(episodes.length).toBeGreaterThan(250);
    expect(episodes.length).toBeLessThan(600);
    expect(recordings / episodes.length).toBeLessThan(0.12);
    expect(recordings).toBeGreaterThan(10);
    expect((assaults / hours) * 1000).toBeLessThan(46 / 38);
  });
  it('leaves a recording per recording stage: a third kept as evidence, the rest deleted', () => {
    const recs = pilot.cameras.flatMap((c) => c.recordings);
    const stages = pilot.cameras.flatMap((c) => c.events).filter((e) => e.stage === 'recording');
    expect(recs.map((r) => r.startedAt).sort()).toEqual(stages.map((e) => e.at).sort());
    const count = (o: string) => recs.filter((r) => r.outcome === o).length;
    expect(recs).toHaveLength(36);
    expect([
      count('evidence'),
      count('legal_hold'),
      count('deleted_early'),
      count('deleted_retention'),
    ]).toEqual([10, 2, 3, 21]);
    expect((count('evidence') + count('legal_hold')) / recs.length).toBeCloseTo(8 / 25, 1);
    for (const r of recs) expect(r.stoppedAt).toBeGreaterThan(r.startedAt);
  });
  it('seqs increase per camera and weekend night shifts cross midnight', () => {
    for (const c of pilot.cameras) {
      for (let i = 1; i < c.events.length; i++)
        expect(c.events[i]!.seq).toBeGreaterThan(c.events[i - 1]!.seq);
    }
    const night = pilot.cameras
      .flatMap((c) => c.shifts)
      .find((s) => localWeekdayHour(s.startedAt).hour === 20)!;
    expect(localWeekdayHour(night.endedAt).hour).toBe(4);
  });
  it('uses local time across the change from summer time (25 October 2026)', () => {
    expect(localToEpoch('2026-10-24', 6)).toBe(Date.UTC(2026, 9, 24, 4));
    expect(localToEpoch('2026-10-26', 6)).toBe(Date.UTC(2026, 9, 26, 5));
  });
});
