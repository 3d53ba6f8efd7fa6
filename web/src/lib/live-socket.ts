/**
 * Connects the live session to the gateway's `/control` socket: in a worker where the browser has
 * workers (live-socket-worker.ts), so parsing and validating 10,000 units' batches does not take the
 * page's main thread (issue 17, bench:map); else, or when the worker cannot load, on the page
 * (live-connection.ts). Either way every input reaches `session.apply` as the same value.
 */
import type { StageChange } from '@lagebild/protocol';
import { connectLive } from './live-connection.ts';
import type { LiveInput, LiveSession } from './live-session.ts';
import { perfEnd, perfStart } from './perf-marks.ts';
import { createUnitWireDecoder, type WireUnits } from './unit-wire.ts';

export type ToSocketWorker = { type: 'close' };

export type FromSocketWorker =
  /** a snapshot or batch, its units as numbers */
  | {
      type: 'units';
      kind: 'snapshot' | 'batch';
      serverTime: number;
      units: WireUnits;
      /** a batch's (a snapshot has none) */
      stageChanges: StageChange[];
    }
  /** any other input, as it is */
  | { type: 'input'; input: LiveInput }
  /** the worker failed: the page connects itself */
  | { type: 'failed' };

/** how long a closed worker gets to say goodbye to the gateway before it is stopped */
const CLOSE_GRACE_MS = 1000;

export function connectLiveSocket(session: Pick<LiveSession, 'apply'>): () => void {
  let worker: Worker;
  try {
    if (typeof Worker !== 'function') return connectLive(session);
    worker = new Worker(new URL('./live-socket-worker.ts', import.meta.url), { type: 'module' });
  } catch {
    return connectLive(session);
  }
  const decoder = createUnitWireDecoder();
  let closed = false;
  let onPage: (() => void) | null = null;

  const takeOver = () => {
    worker.terminate();
    if (!closed && !onPage) onPage = connectLive(session);
  };
  worker.onmessage = (e: MessageEvent<FromSocketWorker>) => {
    const msg = e.data;
    if (msg.type === 'failed') {
      takeOver();
      return;
    }
    if (msg.type === 'input') {
      session.apply(msg.input);
      return;
    }
    const started = perfStart();
    const units = decoder.decode(msg.units);
    session.apply(
      msg.kind === 'snapshot'
        ? { type: 'snapshot', msg: { serverTime: msg.serverTime, units } }
        : { type: 'batch', msg: { serverTime: msg.serverTime, units, stageChanges: msg.stageChanges } },
    );
    perfEnd(msg.kind === 'snapshot' ? 'lagebild:snapshot' : 'lagebild:batch', started, {
      units: units.length,
    });
  };
  // a worker that cannot load (blocked, a network error) or fails leaves the socket to the page
  worker.onerror = takeOver;

  return () => {
    closed = true;
    worker.postMessage({ type: 'close' } satisfies ToSocketWorker);
    setTimeout(() => worker.terminate(), CLOSE_GRACE_MS);
    onPage?.();
  };
}
