import type { DerivedEpisode } from '@lagebild/stats';
import { describe, expect, it } from 'vitest';
import { episodeColumns, nextSettled } from './episode-derivation.ts';

const episode = (over: Partial<DerivedEpisode>): DerivedEpisode => ({
  startSeq: 1,
  startedAt: Date.UTC(2026, 2, 2, 20, 10),
  endedAt: null,
  maxStage: 'display',
  displayAt: Date.UTC(2026, 2, 2, 20, 10),
  recordingAt: null,
  announced: null,
  emergency: false,
  lat: null,
  lng: null,
  closed: false,
  ...over,
});

describe('episodeColumns', () => {
  it('stores a position only as its grid cell, and times as dates', () => {
    const c = episodeColumns([episode({ lat: 51.43, lng: 6.76 }), episode({ startSeq: 9 })]);
    expect(c.cellRow).toEqual([10286, null]);
    expect(c.cellCol).toEqual([845, null]);
    expect(c).not.toHaveProperty('lat');
    expect(c.startSeq).toEqual([1, 9]);
    expect(c.startedAt[0]).toEqual(new Date(Date.UTC(2026, 2, 2, 20, 10)));
    expect(c.endedAt).toEqual([null, null]);
  });

  it('marks an episode display-first when the display came before any recording', () => {
    const direct = episode({ displayAt: null, recordingAt: Date.UTC(2026, 2, 2, 23), maxStage: 'recording' });
    expect(episodeColumns([episode({}), direct]).displayFirst).toEqual([true, false]);
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
