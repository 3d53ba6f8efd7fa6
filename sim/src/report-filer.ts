/**
 * Simulated officers file their short report after an episode (issue #8), over the device socket's
 * `report` event. The filer follows each device's stage events: an episode runs from the first step
 * out of standby until standby has lasted the quiet time; then, after a realistic delay (writing it
 * up in the car, or at the end of the shift), most officers file. Contents follow the pilots: most
 * episodes end calmly, assaults are mostly verbal and mostly where recording was needed.
 */
import type { Assault, DeviceReportInput, IncidentContext, ReportAck, Stage } from '@lagebild/protocol';
import { chance, pick, type Rng, uniform } from './prng.ts';
import type { SimEvent } from './types.ts';

export interface ReportFilerOptions {
  rng: Rng;
  /** sends the report as the device; resolves with the gateway's ack */
  send: (deviceId: string, report: DeviceReportInput) => Promise<ReportAck>;
  /** quiet time of an episode (gateway default 60 s) */
  quietMs?: number;
  /** delay after the quiet time until the officer files, real ms */
  delayMs?: readonly [number, number];
  /** share of episodes that get a report */
  fileShare?: number;
  now?: () => number;
  uuid?: () => string;
}

interface OpenEpisode {
  startedAt: number;
  maxStage: Stage;
  announced: boolean | null;
  timer: NodeJS.Timeout | undefined;
}

const CONTEXTS: readonly IncidentContext[] = [
  'traffic_control',
  'traffic_control',
  'regulatory_offence',
  'regulatory_offence',
  'problem_district',
  'large_event',
  'other',
];

/** What an officer reports for an episode that reached `maxStage`. */
export function draftReport(
  rng: Rng,
  episode: { startedAt: number; endedAt: number; maxStage: Stage; announced: boolean | null },
  reportId: string,
): DeviceReportInput {
  const recorded = episode.maxStage === 'recording';
  const r = rng();
  const assault: Assault = recorded
    ? r < 0.2
      ? 'verbal'
      : r < 0.28
        ? 'physical'
        : 'none'
    : r < 0.01
      ? 'verbal'
      : 'none';
  return {
    reportId,
    // a time inside the episode, whatever the exact device clock of its first status was
    episodeAt: Math.round((episode.startedAt + episode.endedAt) / 2),
    assault,
    context: pick(rng, CONTEXTS),
    announcementGiven: recorded ? episode.announced === true : chance(rng, 0.5),
    note: '',
  };
}

export function createReportFiler(opts: ReportFilerOptions) {
  const quietMs = opts.quietMs ?? 60_000;
  const [minDelay, maxDelay] = opts.delayMs ?? [5_000, 120_000];
  const now = opts.now ?? Date.now;
  const uuid = opts.uuid ?? (() => crypto.randomUUID());
  const open = new Map<string, OpenEpisode>();
  const counts = { filed: 0, failed: 0, skipped: 0 };
  let stopped = false;

  function onEvent(e: SimEvent): void {
    if (stopped || e.type !== 'stage') return;
    let ep = open.get(e.deviceId);
    if (e.to !== 'standby') {
      if (!ep) {
        ep = { startedAt: now(), maxStage: e.to, announced: null, timer: undefined };
        open.set(e.deviceId, ep);
      }
      // back out of standby within the quiet time: the same episode goes on
      clearTimeout(ep.timer);
      ep.timer = undefined;
      if (e.to === 'recording' && ep.maxStage !== 'recording') {
        ep.maxStage = 'recording';
        ep.announced = e.announced;
      }
      return;
    }
    if (!ep) return;
    const endedAt = now();
    const episode = ep;
    clearTimeout(episode.timer);
    episode.timer = setTimeout(
      () => {
        open.delete(e.deviceId);
        if (stopped) return;
        if (!chance(opts.rng, opts.fileShare ?? 0.85)) {
          counts.skipped++;
          return;
        }
        const report = draftReport(opts.rng, { ...episode, endedAt }, uuid());
        opts.send(e.deviceId, report).then(
          (ack) => {
            if (ack.ok) counts.filed++;
            else counts.failed++;
          },
          () => counts.failed++,
        );
      },
      quietMs + uniform(opts.rng, minDelay, maxDelay),
    );
    episode.timer.unref?.();
  }

  return {
    onEvent,
    counts: () => ({ ...counts, open: open.size }),
    stop() {
      stopped = true;
      for (const ep of open.values()) clearTimeout(ep.timer);
      open.clear();
    },
  };
}
