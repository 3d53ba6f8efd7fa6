/**
 * Keeps the `episodes` table in step with `status_events`. A trigger marks each device that got
 * events changing its stage or emergency flag against the event before (with the lowest such seq;
 * migration 0020) in `episode_dirty`, in the same transaction as the events; every tick the builder
 * re-derives those devices from a safe restart point (@lagebild/stats `restartSeq`),
 * so events that arrive an hour late or out of order give the same episodes as punctual ones.
 * Several gateways may run builders: a per-device advisory lock makes one of them do each device,
 * and a dirty mark that changed during the work stays for the next tick (./episode-derivation.ts).
 */
import { periodic } from '@lagebild/service-kit';
import { DEFAULT_QUIET_MS } from '@lagebild/stats';
import type pg from 'pg';
import type { Logger } from '../logger.ts';
import { type DeviceJob, deriveDevices, dirtyDevices, quietDevices } from './episode-derivation.ts';

export interface EpisodeBuilder {
  /** processes everything dirty now; returns the number of devices derived */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export interface EpisodeBuilderOptions {
  pool: pg.Pool;
  log: Logger;
  quietMs?: number;
  /** 0 = no timer (tests call runOnce) */
  intervalMs: number;
  batch?: number;
  now?: () => number;
}

interface PassOptions {
  pool: pg.Pool;
  log: Logger;
  quietMs: number;
  batch: number;
  now: () => number;
  /** checked between devices: a stopping builder leaves the rest for the next gateway or start */
  stopped: () => boolean;
}

/** devices derived together in one transaction */
const DEVICES_PER_TRANSACTION = 100;

/**
 * Derives a group in one transaction. A group that fails is derived again device by device, so one
 * device that cannot be derived holds up no other: it is logged and left marked for the next pass.
 */
async function deriveGroup(group: readonly DeviceJob[], o: PassOptions): Promise<number> {
  try {
    return await deriveDevices(o.pool, group, { quietMs: o.quietMs, now: o.now });
  } catch (err) {
    if (group.length === 1) {
      o.log.error({ err, deviceId: group[0]!.deviceId }, 'episode derivation failed');
      return 0;
    }
    o.log.warn(
      { err, devices: group.length },
      'episode derivation of a group failed; deriving its devices one by one',
    );
    let done = 0;
    for (const job of group) {
      if (o.stopped()) break;
      done += await deriveGroup([job], o);
    }
    return done;
  }
}

/** Derives the jobs, DEVICES_PER_TRANSACTION at a time. */
async function deriveAll(jobs: readonly DeviceJob[], o: PassOptions): Promise<number> {
  let done = 0;
  for (let i = 0; i < jobs.length && !o.stopped(); i += DEVICES_PER_TRANSACTION)
    done += await deriveGroup(jobs.slice(i, i + DEVICES_PER_TRANSACTION), o);
  return done;
}

/**
 * One pass: the dirty devices, then the devices whose episode was closed only by the passing of
 * time. Returns the number of devices derived.
 */
export async function buildPass(o: PassOptions): Promise<number> {
  const dirty = await deriveAll(await dirtyDevices(o.pool, o.batch), o);
  const quietSince = new Date(o.now() - o.quietMs);
  const quiet = await deriveAll(await quietDevices(o.pool, quietSince, o.quietMs, o.batch), o);
  return dirty + quiet;
}

export function createEpisodeBuilder(opts: EpisodeBuilderOptions): EpisodeBuilder {
  let running: Promise<number> | undefined;
  let stopped = false;
  const pass: PassOptions = {
    pool: opts.pool,
    log: opts.log,
    quietMs: opts.quietMs ?? DEFAULT_QUIET_MS,
    batch: opts.batch ?? 500,
    now: opts.now ?? Date.now,
    stopped: () => stopped,
  };
  const runOnce = (): Promise<number> => {
    running ??= buildPass(pass).finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = periodic(
    opts.intervalMs,
    async () => {
      await runOnce();
    },
    (err) => opts.log.warn({ err }, 'episode builder tick failed'),
  );
  return {
    runOnce,
    async stop() {
      stopped = true;
      timer.stop();
      await running?.catch(() => {});
    },
  };
}
