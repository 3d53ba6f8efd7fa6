/**
 * A viewer (one video tile in a browser running mediasoup-client): one receive WebRtcTransport and
 * the consumers of one unit's producers, authorised by a viewer token for that unit. Consumers start
 * paused; resuming a video consumer makes mediasoup ask the publisher for a keyframe, so the tile
 * shows a picture at once instead of waiting for the next periodic keyframe.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ViewerTokenClaims } from '@lagebild/protocol';
import type { types } from 'mediasoup';
import type { IceResource } from './ice-patch.ts';

export type ViewerCloseReason =
  | 'closed'
  | 'transport_gone'
  | 'worker_died'
  | 'timeout'
  | 'shutdown'
  | 'session_ended';

interface ViewerEvents {
  close: [reason: ViewerCloseReason];
  /** the session started consuming its unit (once per stream of the unit) */
  consuming: [];
  /** all consumers of the session ended because the unit stopped publishing */
  producergone: [];
}

/** Heights of the spatial layers, highest first being the source height, each half the one above. */
export function pickSpatialLayer(layers: number, sourceHeightPx: number, tileHeightPx: number): number {
  for (let i = 0; i < layers; i++) {
    const height = sourceHeightPx / 2 ** (layers - 1 - i);
    if (height >= tileHeightPx) return i;
  }
  return layers - 1;
}

export class ViewerSession extends EventEmitter<ViewerEvents> {
  readonly id = randomBytes(12).toString('base64url');
  readonly claims: ViewerTokenClaims;
  readonly transport: types.WebRtcTransport;
  readonly consumers = new Map<string, types.Consumer>();
  /** the watch this session belongs to: one live session per key (SPEC V6) */
  readonly watchKey: string;
  /** set when a WHEP player made this session (issue 16): its resource's ETag and ICE state */
  whep: IceResource | null = null;
  #closed = false;
  #consuming = false;
  #unwatch: (() => void) | undefined;

  #expiry: NodeJS.Timeout | undefined;

  constructor(claims: ViewerTokenClaims, transport: types.WebRtcTransport, watchKey: string) {
    super();
    this.claims = claims;
    this.transport = transport;
    this.watchKey = watchKey;
    this.#armExpiry();
  }

  /**
   * The session ends when its operator session expires (`sexp`), even if nobody tells the SFU.
   * setTimeout holds at most 2^31−1 ms (24.8 days); a longer wait re-arms.
   */
  #armExpiry(): void {
    const leftMs = this.claims.sexp - Date.now();
    if (leftMs <= 0) {
      queueMicrotask(() => this.close('session_ended'));
      return;
    }
    this.#expiry = setTimeout(() => this.#armExpiry(), Math.min(leftMs, 2 ** 31 - 1));
    this.#expiry.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  setWatch(unwatch: () => void): void {
    this.#unwatch = unwatch;
  }

  addConsumer(consumer: types.Consumer): void {
    this.consumers.set(consumer.id, consumer);
    consumer.on('producerclose', () => {
      this.consumers.delete(consumer.id);
      if (this.consumers.size === 0 && this.#consuming) {
        this.#consuming = false;
        this.emit('producergone');
      }
    });
    consumer.on('transportclose', () => this.consumers.delete(consumer.id));
  }

  get consuming(): boolean {
    return this.#consuming;
  }

  markConsuming(): void {
    if (this.#consuming) return;
    this.#consuming = true;
    this.emit('consuming');
  }

  close(reason: ViewerCloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#expiry);
    this.#unwatch?.();
    if (!this.transport.closed) this.transport.close();
    this.consumers.clear();
    this.emit('close', reason);
  }
}
