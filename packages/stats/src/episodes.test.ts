import type { Stage } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import {
  type DerivedEpisode,
  deriveEpisodes,
  displayFirst,
  restartSeq,
  type StageObservation,
} from './episodes.ts';

const S = 1000;
let nextSeq = 1;
/** An observation at t seconds; seqs increase in call order unless given. */
function ob(tS: number, stage: Stage, over: Partial<StageObservation> = {}): StageObservation {
  return {
    seq: nextSeq++,
    at: tS * S,
    stage,
    announced: stage === 'recording' ? true : null,
    emergency: false,
    lat: 51.43,
    lng: 6.76,
    ...over,
  };
}
const horizon = (tS: number) => ({ horizonAt: tS * S });
const spans = (eps: DerivedEpisode[]) =>
  eps.map((e) => [e.startedAt / S, e.endedAt === null ? null : e.endedAt / S, e.maxStage, e.closed]);

describe('deriveEpisodes()', () => {
  it('an episode runs from the first step out of standby to the return to standby', () => {
    const { episodes } = deriveEpisodes(
      [ob(0, 'standby'), ob(10, 'display'), ob(40, 'standby'), ob(200, 'standby')],
      horizon(300),
    );
    expect(spans(episodes)).toEqual([[10, 40, 'display', true]]);
    expect(episodes[0]!.displayAt).toBe(10 * S);
  });

  it('a display within the quiet time after standby continues the same episode', () => {
    const { episodes } = deriveEpisodes(
      [ob(0, 'standby'), ob(10, 'display'), ob(40, 'standby'), ob(99, 'display'), ob(120, 'standby')],
      horizon(1000),
    );
    expect(spans(episodes)).toEqual([[10, 120, 'display', true]]);
  });

  it('a display exactly the quiet time after standby starts a new episode', () => {
    const { episodes } = deriveEpisodes(
      [ob(10, 'display'), ob(40, 'standby'), ob(100, 'display'), ob(130, 'standby')],
      horizon(1000),
    );
    expect(spans(episodes)).toEqual([
      [10, 40, 'display', true],
      [100, 130, 'display', true],
    ]);
  });

  it('honours a configured quiet time', () => {
    const obs = [ob(10, 'display'), ob(40, 'standby'), ob(100, 'display'), ob(130, 'standby')];
    expect(deriveEpisodes(obs, { horizonAt: 1000 * S, quietMs: 120 * S }).episodes).toHaveLength(1);
  });

  it('orders by seq, not by arrival: shuffled input gives the same episodes', () => {
    const obs = [
      ob(0, 'standby'),
      ob(10, 'display'),
      ob(30, 'recording'),
      ob(90, 'standby'),
      ob(400, 'display'),
      ob(420, 'standby'),
    ];
    const shuffled = [obs[4]!, obs[1]!, obs[5]!, obs[0]!, obs[3]!, obs[2]!];
    expect(deriveEpisodes(shuffled, horizon(1000))).toEqual(deriveEpisodes(obs, horizon(1000)));
  });

  it('keeps an episode open while out of standby or before the quiet time has passed', () => {
    expect(spans(deriveEpisodes([ob(10, 'display')], horizon(1000)).episodes)).toEqual([
      [10, null, 'display', false],
    ]);
    expect(spans(deriveEpisodes([ob(10, 'display'), ob(20, 'standby')], horizon(50)).episodes)).toEqual([
      [10, 20, 'display', false],
    ]);
    expect(spans(deriveEpisodes([ob(10, 'display'), ob(20, 'standby')], horizon(80)).episodes)).toEqual([
      [10, 20, 'display', true],
    ]);
  });

  it('records display and recording times, announcement, emergency and the first position', () => {
    const { episodes } = deriveEpisodes(
      [
        ob(10, 'display', { lat: null, lng: null }),
        ob(55, 'recording', { announced: false, lat: 51.5, lng: 7.1 }),
        ob(70, 'recording', { emergency: true }),
        ob(300, 'standby'),
      ],
      horizon(1000),
    );
    const e = episodes[0]!;
    expect([e.displayAt, e.recordingAt, e.announced, e.emergency, e.lat, e.lng, e.maxStage]).toEqual([
      10 * S,
      55 * S,
      false,
      true,
      51.5,
      7.1,
      'recording',
    ]);
    expect(displayFirst(e)).toBe(true);
  });

  it('a recording without display first does not count as a de-escalation attempt', () => {
    const e = deriveEpisodes([ob(10, 'recording'), ob(20, 'display'), ob(90, 'standby')], horizon(1000))
      .episodes[0]!;
    expect(e.maxStage).toBe('recording');
    expect(displayFirst(e)).toBe(false);
  });

  it('a device offline for an hour replays; the episode closed by the horizon reopens and merges', () => {
    const before = [ob(0, 'standby'), ob(10, 'display'), ob(20, 'standby')];
    const replay = [ob(50, 'recording'), ob(80, 'standby'), ob(90, 'standby')];
    const first = deriveEpisodes(before, horizon(3600));
    expect(spans(first.episodes)).toEqual([[10, 20, 'display', true]]);
    const all = deriveEpisodes([...before, ...replay], horizon(3700));
    expect(spans(all.episodes)).toEqual([[10, 80, 'recording', true]]);
    // the incremental path restarts at the closed episode and reaches the same result
    const from = restartSeq(
      replay[0]!.seq,
      first.episodes.map((e) => e.startSeq),
      first.settledSeq,
    )!;
    expect(from).toBe(before[1]!.seq);
    const again = deriveEpisodes(
      [...before, ...replay].filter((o) => o.seq >= from),
      horizon(3700),
    );
    expect(again.episodes).toEqual(all.episodes);
  });

  it('reports a settled restart point once standby has lasted the quiet time', () => {
    const obs = [
      ob(0, 'standby'),
      ob(10, 'display'),
      ob(20, 'standby'),
      ob(50, 'standby'),
      ob(81, 'standby'),
    ];
    expect(deriveEpisodes(obs, horizon(100)).settledSeq).toBe(obs[4]!.seq);
    expect(deriveEpisodes(obs.slice(0, 4), horizon(100)).settledSeq).toBe(obs[0]!.seq);
  });
});

describe('incremental derivation with late and out-of-order batches', () => {
  function rng(seed: number) {
    let a = seed;
    return () => {
      a = (a * 1103515245 + 12345) % 2147483648;
      return a / 2147483648;
    };
  }
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('matches a full derivation (seed %i)', (seed) => {
    const r = rng(seed);
    const stages: Stage[] = ['standby', 'standby', 'standby', 'display', 'recording'];
    const obs: StageObservation[] = [];
    let t = 0;
    for (let i = 0; i < 120; i++) {
      t += Math.floor(r() * 90);
      obs.push(ob(t, stages[Math.floor(r() * stages.length)]!, { seq: i + 1 }));
    }
    // deliver in batches, some of them late (lower seqs than what is already there)
    const order = [...obs].sort(() => r() - 0.5);
    let known: StageObservation[] = [];
    let episodes: DerivedEpisode[] = [];
    let settled: number | null = null;
    const hz = horizon(t + 30);
    for (let i = 0; i < order.length; i += 7) {
      const batch = order.slice(i, i + 7);
      known = [...known, ...batch];
      const from = Math.min(...batch.map((o) => o.seq));
      const restart = restartSeq(
        from,
        episodes.map((e) => e.startSeq),
        settled,
      );
      const keep = restart === null ? [] : episodes.filter((e) => e.startSeq < restart);
      const d = deriveEpisodes(
        known.filter((o) => restart === null || o.seq >= restart),
        hz,
      );
      episodes = [...keep, ...d.episodes];
      settled = d.settledSeq ?? (settled !== null && restart !== null && settled < restart ? settled : null);
    }
    expect(episodes).toEqual(deriveEpisodes(obs, hz).episodes);
  });
});
