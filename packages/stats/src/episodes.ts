/**
 * Episodes from a device's stage observations (README, "Evaluation"): an episode begins with
 * the first step out of `standby` and ends once the device has been back in `standby` for the quiet
 * time (default 60 s). Its outcome is the highest stage reached.
 *
 * Observations are ordered by the device's `seq` (strictly increasing over the device's life), not
 * by its clock, so an offline device replaying an hour of buffered events, or a late event slotting
 * in between two others, yields the same episodes as if everything had arrived on time. The caller
 * re-derives from a restart point (see `restartSeq`) whenever events with lower seqs arrive.
 */
import type { Stage } from '@lagebild/protocol';

export const DEFAULT_QUIET_MS = 60_000;

export interface StageObservation {
  seq: number;
  /** device clock, epoch ms */
  at: number;
  stage: Stage;
  /** recording only: announced to the person */
  announced: boolean | null;
  emergency: boolean;
  lat: number | null;
  lng: number | null;
}

export interface DerivedEpisode {
  startSeq: number;
  startedAt: number;
  /** when the device went back to standby for good; null while still out of standby */
  endedAt: number | null;
  maxStage: Exclude<Stage, 'standby'>;
  /** first display; null if the display was never on */
  displayAt: number | null;
  /** first recording; null if nothing was recorded */
  recordingAt: number | null;
  /** announced flag of the first recording observation */
  announced: boolean | null;
  emergency: boolean;
  /** first known position in the episode (the caller coarsens it to a grid cell) */
  lat: number | null;
  lng: number | null;
  /** quiet time has passed (per observations or the horizon); open episodes may still grow */
  closed: boolean;
}

export interface DeriveOptions {
  quietMs?: number;
  /** "now": a standby that has lasted until here for the quiet time closes the episode */
  horizonAt: number;
}

export interface Derivation {
  episodes: DerivedEpisode[];
  /**
   * seq of the last observation when the device was idle (standby, no open episode, the previous
   * episode at least quiet time ago): a valid restart point for later events with a higher seq.
   */
  settledSeq: number | null;
}

/** Derives episodes from observations that start in an idle state (see `restartSeq`). */
export function deriveEpisodes(observations: readonly StageObservation[], opts: DeriveOptions): Derivation {
  const quietMs = opts.quietMs ?? DEFAULT_QUIET_MS;
  const obs = [...observations].sort((a, b) => a.seq - b.seq);
  const episodes: DerivedEpisode[] = [];
  let cur: DerivedEpisode | null = null;
  /** while an episode is open: when its current standby run began (null = not in standby) */
  let standbySince: number | null = null;
  /** while idle: when the idle standby began (previous episode end, or first observation) */
  let idleSince: number | null = null;
  let settledSeq: number | null = null;

  const close = () => {
    if (!cur) return;
    cur.closed = true;
    episodes.push(cur);
    idleSince = standbySince;
    cur = null;
    standbySince = null;
  };

  for (const o of obs) {
    if (cur && standbySince !== null && o.at - standbySince >= quietMs) close();
    if (!cur) {
      if (o.stage === 'standby') {
        idleSince ??= o.at;
        if (o.at - idleSince >= quietMs || episodes.length === 0) settledSeq = o.seq;
        continue;
      }
      cur = {
        startSeq: o.seq,
        startedAt: o.at,
        endedAt: null,
        maxStage: o.stage,
        displayAt: null,
        recordingAt: null,
        announced: null,
        emergency: false,
        lat: null,
        lng: null,
        closed: false,
      };
      idleSince = null;
    }
    const ep: DerivedEpisode = cur;
    if (ep.lat === null && o.lat !== null && o.lng !== null) {
      ep.lat = o.lat;
      ep.lng = o.lng;
    }
    ep.emergency ||= o.emergency;
    if (o.stage === 'standby') {
      if (standbySince === null) {
        standbySince = o.at;
        ep.endedAt = o.at;
      }
      continue;
    }
    standbySince = null;
    ep.endedAt = null;
    if (o.stage === 'display') ep.displayAt ??= o.at;
    if (o.stage === 'recording' && ep.recordingAt === null) {
      ep.recordingAt = o.at;
      ep.announced = o.announced;
      ep.maxStage = 'recording';
    }
  }
  if (cur) {
    const open: DerivedEpisode = cur;
    if (standbySince !== null && opts.horizonAt - standbySince >= quietMs) close();
    else episodes.push(open);
  }
  return { episodes, settledSeq };
}

/**
 * Where to re-derive from when events with seqs ≥ `fromSeq` arrived: the start of the latest
 * episode that began before them (a late event may extend or merge it), else the settled point
 * if it lies before them, else the beginning (null).
 */
export function restartSeq(
  fromSeq: number,
  episodeStarts: readonly number[],
  settledSeq: number | null,
): number | null {
  let best: number | null = null;
  for (const s of episodeStarts) if (s < fromSeq && (best === null || s > best)) best = s;
  if (settledSeq !== null && settledSeq < fromSeq && (best === null || settledSeq > best)) return settledSeq;
  return best;
}

/** The display was shown before any recording: the episode counts for the de-escalation rate. */
export function displayFirst(e: Pick<DerivedEpisode, 'displayAt' | 'recordingAt'>): boolean {
  return e.displayAt !== null && (e.recordingAt === null || e.displayAt < e.recordingAt);
}
