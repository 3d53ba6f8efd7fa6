import { deriveEpisodes, type StageObservation } from '@lagebild/stats';
import { describe, expect, it } from 'vitest';
import { episodeColumns, nextSettled } from './episode-derivation.ts';

const T = Date.UTC(2026, 2, 2, 20, 10);
const obs = (
  seq: number,
  stage: StageObservation['stage'],
  lat: number | null = null,
  lng = lat,
): StageObservation => ({
  seq,
  at: T + seq * 60_000,
  stage,
  announced: stage === 'recording' ? false : null,
  emergency: false,
  lat,
  lng,
});
/** The episodes of some observations, an hour later (all closed). */
const derive = (...o: StageObservation[]) =>
  deriveEpisodes(o, { quietMs: 60_000, horizonAt: T + 3_600_000 }).episodes;

describe('episodeColumns', () => {
  it('stores a position only as its grid cell, and times as dates', () => {
    const eps = [
      ...derive(obs(1, 'display', 51.43, 6.76), obs(2, 'standby')),
      ...derive(obs(9, 'display'), obs(10, 'standby')),
    ];
    const c = episodeColumns(eps);
    expect(c.cellRow).toEqual([10286, null]);
    expect(c.cellCol).toEqual([845, null]);
    expect(c).not.toHaveProperty('lat');
    expect(c.startSeq).toEqual([1, 9]);
    expect(c.startedAt[0]).toEqual(new Date(T + 60_000));
    expect(c.closed).toEqual([true, true]);
  });

  it('marks an episode display-first when the display came before any recording', () => {
    const eps = [
      ...derive(obs(1, 'display'), obs(2, 'standby')),
      ...derive(obs(9, 'recording'), obs(10, 'standby')),
    ];
    expect(episodeColumns(eps).displayFirst).toEqual([true, false]);
  });
});

describe('nextSettled', () => {
  it('takes the derivation’s settled point when it has one', () => {
    expect(nextSettled(40, 10, 20)).toBe(40);
  });

  it('keeps the old cursor while it lies before the restart point, else drops it', () => {
    expect(nextSettled(null, 10, 20)).toBe(10);
    expect(nextSettled(null, 20, 20)).toBeNull();
    expect(nextSettled(null, 10, null)).toBeNull();
  });
});
