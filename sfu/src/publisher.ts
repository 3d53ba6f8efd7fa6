/**
 * A WHIP publisher: one device's WebRtcTransport and its producers (audio and/or video), known to
 * the client by its resource URL and ETag. Closing it closes the transport, which closes the
 * producers and with them every consumer of every viewer.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { LiveStream, ProducerDownReason } from '@lagebild/protocol';
import type { types } from 'mediasoup';

interface PublisherEvents {
  close: [reason: ProducerDownReason];
}

export const newResourceId = (): string => randomBytes(12).toString('base64url');
export const newEtag = (): string => `"${randomBytes(9).toString('base64url')}"`;

export class Publisher extends EventEmitter<PublisherEvents> {
  readonly resourceId = newResourceId();
  readonly deviceId: string;
  readonly tenantId: string;
  readonly transport: types.WebRtcTransport;
  readonly producers: types.Producer[] = [];
  readonly since = Date.now();
  /** a=mid of the first accepted section, for ICE restart answers */
  firstMid = '0';
  /** ICE credentials the client last used, to tell trickle from restart */
  remoteIceUfrag = '';
  etag = newEtag();
  #closed = false;
  #unwatch: (() => void) | undefined;

  constructor(opts: { deviceId: string; tenantId: string; transport: types.WebRtcTransport }) {
    super();
    this.deviceId = opts.deviceId;
    this.tenantId = opts.tenantId;
    this.transport = opts.transport;
  }

  get closed(): boolean {
    return this.#closed;
  }

  setWatch(unwatch: () => void): void {
    this.#unwatch = unwatch;
  }

  stream(): LiveStream {
    const video = this.producers.find((p) => p.kind === 'video');
    return {
      deviceId: this.deviceId,
      kinds: this.producers.map((p) => p.kind),
      videoCodec: video?.rtpParameters.codecs[0]?.mimeType ?? null,
      since: this.since,
    };
  }

  close(reason: ProducerDownReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unwatch?.();
    if (!this.transport.closed) this.transport.close();
    this.emit('close', reason);
  }
}
