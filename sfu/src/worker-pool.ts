/**
 * One mediasoup worker per core, each with a WebRtcServer (one UDP and one TCP port per worker, so
 * firewalls need only a few ports). A worker that dies is replaced in its slot; `replaced` tells
 * listeners (tenant routers) so they rebuild on a live worker. Routers are placed on the worker
 * holding the fewest.
 */
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import type { Logger } from './logger.ts';

export interface PoolOptions {
  size: number;
  workerBin: string;
  listenIp: string;
  announcedAddress: string;
  /** 0 = any free port */
  rtcBasePort: number;
  /** SO_RCVBUF / SO_SNDBUF of the worker's RTC sockets; 0 = the kernel's default */
  socketBufferBytes: number;
  log: Logger;
}

export interface WorkerSlot {
  index: number;
  worker: types.Worker;
  webRtcServer: types.WebRtcServer;
  routers: number;
}

interface PoolEvents {
  /** a worker died; the slot is being restarted */
  died: [slot: number, pid: number, error: Error];
  /** the slot has a fresh worker */
  replaced: [slot: WorkerSlot];
}

/** Restart attempts back off up to this, so a worker that cannot start does not spin the CPU. */
const MAX_RESTART_DELAY_MS = 5000;

export class WorkerPool extends EventEmitter<PoolEvents> {
  readonly #opts: PoolOptions;
  readonly #slots: (WorkerSlot | undefined)[];
  readonly #waiters: ((slot: WorkerSlot) => void)[] = [];
  #closed = false;

  private constructor(opts: PoolOptions) {
    super();
    this.#opts = opts;
    this.#slots = new Array(opts.size).fill(undefined);
  }

  static async start(opts: PoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(opts);
    try {
      for (let i = 0; i < opts.size; i++) pool.#slots[i] = await pool.#startSlot(i);
    } catch (err) {
      pool.close();
      throw err;
    }
    return pool;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get slots(): readonly WorkerSlot[] {
    return this.#slots.filter((s): s is WorkerSlot => s !== undefined);
  }

  /** The live worker with the fewest routers; waits while every slot is restarting. */
  async pick(): Promise<WorkerSlot> {
    if (this.#closed) throw new Error('worker pool closed');
    const live = this.slots.filter((s) => !s.worker.closed);
    if (live.length > 0) return live.reduce((a, b) => (b.routers < a.routers ? b : a));
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#slots) s?.worker.close();
  }

  async #startSlot(index: number): Promise<WorkerSlot> {
    const { workerBin, listenIp, announcedAddress, rtcBasePort, socketBufferBytes, log } = this.#opts;
    const worker = await mediasoup.createWorker({ workerBin, logLevel: 'warn', appData: { slot: index } });
    const port = rtcBasePort > 0 ? rtcBasePort + index : undefined;
    const listen = (protocol: 'udp' | 'tcp'): types.TransportListenInfo => ({
      protocol,
      ip: listenIp,
      ...(announcedAddress ? { announcedAddress } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(socketBufferBytes > 0
        ? { recvBufferSize: socketBufferBytes, sendBufferSize: socketBufferBytes }
        : {}),
    });
    let webRtcServer: types.WebRtcServer;
    try {
      webRtcServer = await worker.createWebRtcServer({ listenInfos: [listen('udp'), listen('tcp')] });
    } catch (err) {
      worker.close();
      throw new Error(
        `cannot listen for RTC on ${listenIp}:${port ?? 'any'} [slot:${index}]: ${(err as Error).message}`,
      );
    }
    const slot: WorkerSlot = { index, worker, webRtcServer, routers: 0 };
    worker.on('died', (error) => {
      log.error({ slot: index, pid: worker.pid, err: error.message }, 'mediasoup worker died');
      this.#slots[index] = undefined;
      this.emit('died', index, worker.pid, error);
      void this.#restart(index);
    });
    log.info(
      { slot: index, pid: worker.pid, ports: webRtcServer.appData, listenIp },
      'mediasoup worker started',
    );
    return slot;
  }

  async #restart(index: number): Promise<void> {
    let delayMs = 0;
    while (!this.#closed) {
      try {
        const slot = await this.#startSlot(index);
        if (this.#closed) {
          slot.worker.close();
          return;
        }
        this.#slots[index] = slot;
        this.emit('replaced', slot);
        for (const w of this.#waiters.splice(0)) w(slot);
        return;
      } catch (err) {
        this.#opts.log.error({ slot: index, err: (err as Error).message }, 'worker restart failed');
        delayMs = Math.min(MAX_RESTART_DELAY_MS, Math.max(100, delayMs * 2));
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }
}
