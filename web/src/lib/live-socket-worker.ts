/**
 * The `/control` socket in a worker (issue 17, bench:map): the Socket.IO connection, its watchdog
 * and the validation of every message (live-connection.ts) run here, off the page's main thread,
 * where at 10,000 units parsing and validating the batches took ~10 ms per 1,000 units. Snapshots
 * and batches reach the page as numbers (unit-wire.ts); every other input, small, as it is.
 */

import { connectLive } from './live-connection.ts';
import type { LiveInput } from './live-session.ts';
import type { FromSocketWorker, ToSocketWorker } from './live-socket.ts';
import { createUnitWireEncoder } from './unit-wire.ts';

interface WorkerScope {
  onmessage: ((e: MessageEvent<ToSocketWorker>) => void) | null;
  postMessage(message: FromSocketWorker, transfer?: Transferable[]): void;
  close(): void;
}
const scope = self as unknown as WorkerScope;
const encoder = createUnitWireEncoder();

function forward(input: LiveInput): void {
  if (input.type === 'snapshot' || input.type === 'batch') {
    const units = encoder.encode(input.msg.units);
    const message: FromSocketWorker = {
      type: 'units',
      kind: input.type,
      serverTime: input.msg.serverTime,
      units,
      stageChanges: input.type === 'batch' ? input.msg.stageChanges : [],
    };
    scope.postMessage(message, [units.data.buffer]);
    return;
  }
  scope.postMessage({ type: 'input', input });
}

// an error in here would leave the page without a live picture: the page takes the socket over
self.addEventListener('error', () => scope.postMessage({ type: 'failed' }));
self.addEventListener('unhandledrejection', () => scope.postMessage({ type: 'failed' }));

let disconnect: (() => void) | null = connectLive({ apply: forward });

scope.onmessage = (e) => {
  if (e.data.type === 'close') {
    disconnect?.();
    disconnect = null;
    scope.close();
  }
};
