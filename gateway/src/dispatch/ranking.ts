/**
 * Which units can be sent to an incident, ranked by estimated arrival. Excluded, with the reason
 * shown to the supervisor: the unit in trouble itself, units already requested or the subject of
 * another open incident (busy), units recording or in emergency, offline, stale, without position.
 */
import type { Candidate, LatLng, Unavailability, UnitLive } from '@lagebild/protocol';
import { type EtaEstimator, travelModeOf } from './eta.ts';

export interface RankingInput {
  target: LatLng;
  units: UnitLive[];
  subjectDeviceId: string | null;
  /** units with an active request, or on scene at an open incident */
  busyUnitIds: ReadonlySet<string>;
  /** devices that are the subject of another open incident */
  troubledDeviceIds: ReadonlySet<string>;
  nowMs: number;
  staleAfterMs: number;
  estimator: EtaEstimator;
}

export interface Ranking {
  candidates: Candidate[];
  unavailable: Array<{ unitId: string; callsign: string; reason: Unavailability }>;
}

export function unavailability(u: UnitLive, input: RankingInput): Unavailability | null {
  if (u.deviceId === input.subjectDeviceId) return 'subject';
  if (u.emergency) return 'emergency';
  if (u.stage === 'recording') return 'recording';
  if ((u.unitId && input.busyUnitIds.has(u.unitId)) || input.troubledDeviceIds.has(u.deviceId)) return 'busy';
  if (!u.online) return 'offline';
  if (input.nowMs - u.receivedAt > input.staleAfterMs) return 'stale';
  if (!u.position) return 'no_position';
  return null;
}

export function rankCandidates(input: RankingInput): Ranking {
  const candidates: Candidate[] = [];
  const unavailable: Ranking['unavailable'] = [];
  for (const u of input.units) {
    if (!u.unitId || !u.callsign) continue; // not on shift
    const reason = unavailability(u, input);
    if (reason) {
      unavailable.push({ unitId: u.unitId, callsign: u.callsign, reason });
      continue;
    }
    const mode = travelModeOf(u.speedMps);
    const { distanceM, etaS } = input.estimator.estimate(u.position!, input.target, mode);
    candidates.push({
      unitId: u.unitId,
      deviceId: u.deviceId,
      callsign: u.callsign,
      team: u.team ?? '',
      distanceM,
      etaS,
      mode,
    });
  }
  candidates.sort(
    (a, b) => a.etaS - b.etaS || a.distanceM - b.distanceM || a.callsign.localeCompare(b.callsign),
  );
  unavailable.sort((a, b) => a.callsign.localeCompare(b.callsign));
  return { candidates, unavailable };
}
