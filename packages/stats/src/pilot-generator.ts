/**
 * A deterministic, realistic pilot data set for demos, end-to-end tests and benchmarks: N cameras
 * worn by officers of two teams on 8-hour shifts (early, late, and weekend night shifts across
 * midnight) over about 3.5 months, with stage changes, positions and officers' reports.
 *
 * Calibrated on what pilots reported (issue #8): recordings are rare (Dortmund: 25 activations a
 * year with 20 staff; Olfen and Moers: none), the display is the everyday tool, and Duisburg counted
 * 46 attacks and insults in the year before its pilot — about 1.2 per 1,000 officer-hours, which
 * `PILOT_BASELINE` states and the pilot undercuts (about 0.7). Same seed and options, same data.
 * Each recording stage leaves a recording's metadata, of which about a third was kept as evidence
 * (Dortmund kept 8 of 25), a few were deleted early on request and the rest by the retention period.
 */
import type { Assault, IncidentContext as Context, Stage } from '@lagebild/protocol';
import { addDays, localToEpoch, localWeekdayHour } from './local-time.ts';

export interface PilotOptions {
  seed?: number;
  /** first day, local "YYYY-MM-DD" */
  startDay?: string;
  days?: number;
  cameras?: number;
  teams?: readonly string[];
  center?: { lat: number; lng: number };
}

export interface PilotEvent {
  seq: number;
  at: number;
  stage: Stage;
  announced: boolean | null;
  unannouncedReason: string | null;
  emergency: boolean;
  lat: number;
  lng: number;
}

export interface PilotCamera {
  label: string;
  callsign: string;
  team: string;
  shifts: Array<{ startedAt: number; endedAt: number }>;
  events: PilotEvent[];
  reports: Array<{
    episodeAt: number;
    assault: Assault;
    context: Context;
    announcementGiven: boolean;
    note: string;
  }>;
  recordings: PilotRecording[];
}

/** What became of a pilot recording; the pilot is over, so none is still within its period. */
export type PilotRecordingOutcome = 'evidence' | 'legal_hold' | 'deleted_retention' | 'deleted_early';

export interface PilotRecording {
  /** the recording stage's event: the camera starts recording (no pre-recording in the pilot) */
  startedAt: number;
  /** the next standby */
  stoppedAt: number;
  outcome: PilotRecordingOutcome;
}

export interface PilotData {
  startDay: string;
  endDay: string;
  cameras: PilotCamera[];
}

/** What the evaluator would enter for the year before the pilot (Duisburg's figure). */
export const PILOT_BASELINE = {
  label: 'Jahr vor dem Pilotprojekt',
  assaults: 46,
  officerHours: 38_000,
} as const;

export const DEFAULT_PILOT: Required<PilotOptions> = {
  seed: 2026,
  startDay: '2026-07-01',
  days: 107,
  cameras: 20,
  teams: ['KOD Mitte', 'KOD Nord'],
  center: { lat: 51.4318, lng: 6.7626 },
};

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Episodes per officer-hour by local hour: quiet mornings, busy evenings. */
const HOURLY_RATE = [
  0.07, 0.06, 0.04, 0.02, 0.01, 0.01, 0.015, 0.02, 0.025, 0.03, 0.03, 0.03, 0.035, 0.035, 0.035, 0.04, 0.04,
  0.045, 0.05, 0.055, 0.06, 0.065, 0.07, 0.07,
];
const NOTES: Record<Context, string[]> = {
  traffic_control: ['Parkverstoß, Fahrer uneinsichtig', 'Radfahrer in Fußgängerzone'],
  regulatory_offence: ['Lärmbeschwerde', 'Müllablagerung angesprochen', 'Alkoholverbot durchgesetzt'],
  problem_district: ['Personengruppe am Platz', 'Streit zwischen Anwohnern'],
  large_event: ['Stadtfest, Gedränge am Eingang', 'Fußballspiel, Fanmarsch'],
  other: ['Hilfeleistung', 'Sonstiges'],
};
const HOTSPOTS = [
  { dLat: 0, dLng: 0 },
  { dLat: 0.012, dLng: -0.01 },
  { dLat: -0.008, dLng: 0.006 },
  { dLat: 0.02, dLng: 0.015 },
];

export function generatePilot(options: PilotOptions = {}): PilotData {
  const o = { ...DEFAULT_PILOT, ...options };
  const rnd = prng(o.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const weighted = <T>(items: ReadonlyArray<readonly [T, number]>): T => {
    let r = rnd() * items.reduce((s, [, w]) => s + w, 0);
    for (const [v, w] of items) {
      r -= w;
      if (r < 0) return v;
    }
    return items[items.length - 1]![0];
  };
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());

  const cameras: PilotCamera[] = Array.from({ length: o.cameras }, (_, i) => {
    const team = o.teams[i % o.teams.length]!;
    return {
      label: `PILOT-${String(i + 1).padStart(2, '0')}`,
      callsign: `${team} P${Math.floor(i / o.teams.length) + 1}`,
      team,
      shifts: [],
      events: [],
      reports: [],
      recordings: [],
    };
  });

  for (let day = 0; day < o.days; day++) {
    const date = addDays(o.startDay, day);
    const week = Math.floor(day / 7);
    const weekday = localWeekdayHour(localToEpoch(date, 12)).weekday;
    cameras.forEach((cam, i) => {
      if (rnd() > 0.62) return; // days off, leave, training
      const teamIndex = i % o.teams.length;
      // teams alternate early/late weekly; on Fridays and Saturdays one crew works nights
      let startHour = (week + teamIndex) % 2 === 0 ? 6 : 14;
      if ((weekday === 5 || weekday === 6) && i % 4 === 0) startHour = 20;
      const startedAt = localToEpoch(date, startHour);
      const endedAt = startedAt + 8 * 3_600_000;
      cam.shifts.push({ startedAt, endedAt });
      simulateShift(cam, startedAt, endedAt, weekday === 6);
    });
  }

  function simulateShift(cam: PilotCamera, startedAt: number, endedAt: number, saturday: boolean) {
    let seq = cam.events.length ? cam.events[cam.events.length - 1]!.seq + 1 : 1;
    const hot = pick(HOTSPOTS);
    let pos = { lat: o.center.lat + hot.dLat, lng: o.center.lng + hot.dLng };
    const emit = (at: number, stage: Stage, extra: Partial<PilotEvent> = {}) => {
      cam.events.push({
        seq: seq++,
        at: Math.round(at),
        stage,
        announced: null,
        unannouncedReason: null,
        emergency: false,
        lat: Math.round(pos.lat * 1e6) / 1e6,
        lng: Math.round(pos.lng * 1e6) / 1e6,
        ...extra,
      });
    };
    emit(startedAt, 'standby');
    let t = startedAt + 5 * 60_000;
    while (t < endedAt - 20 * 60_000) {
      const { hour } = localWeekdayHour(t);
      const rate = HOURLY_RATE[hour]! * (saturday ? 1.4 : 1);
      // exponential waiting time for the next episode at this hour's rate
      t += (-Math.log(1 - rnd()) / rate) * 3_600_000;
      if (t >= endedAt - 20 * 60_000) break;
      pos = { lat: pos.lat + gauss() * 0.002, lng: pos.lng + gauss() * 0.003 };
      const context = saturday && rnd() < 0.3 ? 'large_event' : weighted(CONTEXT_WEIGHTS);
      const direct = rnd() < 0.015; // imminent danger: recording without display first
      const recorded = direct || rnd() < 0.07;
      const start = t;
      if (!direct) emit(t, 'display');
      if (recorded) {
        const announced = direct ? false : rnd() < 0.92;
        t += direct ? 0 : Math.max(5_000, Math.exp(Math.log(40_000) + gauss() * 0.6));
        emit(t, 'recording', {
          announced,
          unannouncedReason: announced ? null : 'Gefahr im Verzug',
          emergency: direct && rnd() < 0.5,
        });
        t += 60_000 + rnd() * 9 * 60_000;
      } else {
        t += 20_000 + rnd() * 4 * 60_000;
      }
      emit(t, 'standby');
      // sometimes the display comes back on within the quiet time: still the same episode
      if (!recorded && rnd() < 0.1) {
        t += 10_000 + rnd() * 40_000;
        emit(t, 'display');
        t += 15_000 + rnd() * 60_000;
        emit(t, 'standby');
      }
      const assault: Assault = recorded
        ? weighted([
            ['none', 0.72],
            ['verbal', 0.2],
            ['physical', 0.08],
          ])
        : rnd() < 0.003
          ? 'verbal'
          : 'none';
      if (rnd() < 0.85) {
        cam.reports.push({
          episodeAt: Math.round(start),
          assault,
          context,
          announcementGiven: recorded ? !direct : rnd() < 0.5,
          note: pick(NOTES[context]),
        });
      }
      t += 2 * 60_000;
    }
    emit(endedAt, 'standby');
  }

  assignRecordings(cameras, o.seed);
  return { startDay: o.startDay, endDay: addDays(o.startDay, o.days - 1), cameras };
}

/**
 * A recording for every recording stage, with fixed shares of outcomes (a third kept, one in six of
 * those under legal hold, one in twelve deleted early) shuffled by a generator of its own, so the
 * events, shifts and reports stay exactly as they were before recordings were added.
 */
function assignRecordings(cameras: PilotCamera[], seed: number): void {
  const all: Array<{ cam: PilotCamera; rec: Omit<PilotRecording, 'outcome'> }> = [];
  for (const cam of cameras) {
    cam.events.forEach((e, i) => {
      if (e.stage !== 'recording') return;
      const stop = cam.events.slice(i + 1).find((x) => x.stage === 'standby');
      all.push({ cam, rec: { startedAt: e.at, stoppedAt: stop?.at ?? e.at } });
    });
  }
  const kept = Math.round((all.length * 8) / 25);
  const legalHold = Math.round(kept / 6);
  const early = Math.round(all.length / 12);
  const outcomes: PilotRecordingOutcome[] = all.map((_, i) =>
    i < legalHold
      ? 'legal_hold'
      : i < kept
        ? 'evidence'
        : i < kept + early
          ? 'deleted_early'
          : 'deleted_retention',
  );
  const rnd = prng(seed ^ 0x7265636f);
  for (let i = outcomes.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [outcomes[i], outcomes[j]] = [outcomes[j]!, outcomes[i]!];
  }
  all.forEach(({ cam, rec }, i) => {
    cam.recordings.push({ ...rec, outcome: outcomes[i]! });
  });
}

const CONTEXT_WEIGHTS: ReadonlyArray<readonly [Context, number]> = [
  ['traffic_control', 0.3],
  ['regulatory_offence', 0.32],
  ['problem_district', 0.22],
  ['large_event', 0.06],
  ['other', 0.1],
];
