/**
 * Cameras that start and stop recording over and over, for the soak (issue 14: "10 recordings
 * starting and stopping"): each publishes over WHIP to the stack's SFU (libwebrtc, VP8 + Opus, the
 * simulator's publisher), which records and encrypts the stream into the vault, for `recordMs`,
 * then hangs up and pauses `pauseMs` before the next recording. The cameras start staggered, so
 * recordings begin and end throughout the run. `sealed()` reads back what PostgreSQL holds for them.
 */
import type { WhipPublisher } from '@lagebild/sim/whip';
import type pg from 'pg';
import { publishCamera } from '../sfu.ts';
import type { Stack } from '../stack.ts';

export interface RecordingCycles {
  /** publishes that connected (each one a recording the SFU must seal) */
  readonly started: number;
  /** publishes that did not connect within 15 s (retried after the pause) */
  readonly failedToStart: number;
  /**
   * ends the cycles: cameras in a pause stay off, a camera that is recording finishes its
   * `recordMs` first (hung up in its first second, a recording gets no media and stays unsealed)
   */
  stop(): Promise<void>;
}

export function startRecordingCycles(opts: {
  stack: Pick<Stack, 'sfu'>;
  tenantId: string;
  cameras: ReadonlyArray<{ deviceId: string; label: string }>;
  recordMs: number;
  pauseMs: number;
  fps?: number;
}): RecordingCycles {
  let stopped = false;
  let started = 0;
  let failedToStart = 0;
  const live = new Set<WhipPublisher>();
  /** loops sleeping before their next recording, each woken at once by `stop` */
  const pausing = new Map<ReturnType<typeof setTimeout>, () => void>();
  const sleep = (ms: number, wakeable = true) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        pausing.delete(t);
        resolve();
      }, ms);
      if (wakeable) pausing.set(t, resolve);
    });
  const period = opts.recordMs + opts.pauseMs;
  const loops = opts.cameras.map(async (camera, i) => {
    await sleep((period * i) / opts.cameras.length);
    while (!stopped) {
      let pub: WhipPublisher | null = null;
      try {
        pub = await publishCamera(opts.stack, opts.tenantId, camera, { fps: opts.fps ?? 5 });
        live.add(pub);
        await pub.connected(15_000);
        started++;
        await sleep(opts.recordMs, false);
      } catch {
        failedToStart++;
      }
      if (pub) {
        live.delete(pub);
        await pub.close();
      }
      if (!stopped) await sleep(opts.pauseMs);
    }
  });
  return {
    get started() {
      return started;
    },
    get failedToStart() {
      return failedToStart;
    },
    async stop() {
      stopped = true;
      for (const [t, wake] of pausing) {
        clearTimeout(t);
        wake();
      }
      pausing.clear();
      const bound = opts.recordMs + 30_000;
      await Promise.race([Promise.allSettled(loops), new Promise((r) => setTimeout(r, bound))]);
      // a camera still not done by then (a publish that hung) is hung up now
      for (const pub of live) await pub.close();
      live.clear();
    },
  };
}

/** recordings of `deviceIds` by state, e.g. { complete: 48 } */
export async function recordingStates(pool: pg.Pool, deviceIds: string[]): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ state: string; n: string }>(
    'SELECT state, count(*) AS n FROM recordings WHERE device_id = ANY($1::uuid[]) GROUP BY state',
    [deviceIds],
  );
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}
