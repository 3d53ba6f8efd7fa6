/**
 * A WHIP publisher: one device's WebRtcTransport and its producers (audio and/or video), known to
 * the client by its resource URL and ETag. Closing it closes the transport, which closes the
 * producers and with them every consumer of every viewer.
 *
 * A publisher starts `pending`: answered, but not announced or recorded until media reaches it
 * (issue 11, ghost publishers). `live` turns true once, when the first RTP packet arrives.
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
  /**
   * producers recorded with this stream that it does not send itself: the talkback the camera is
   * spoken to (issue 16, the recording's second audio track)
   */
  readonly recordedExtras: types.Producer[] = [];
  readonly since = Date.now();
  /** `iat` of the device token that created it: a revocation at or after this ends it */
  readonly tokenIat: number;
  /** media arrived: announced (producer_up) and recorded */
  live = false;
  /**
   * it replaced a stream that dashboards still show (announced, then `replaced`): if this one never
   * goes live, its end must be announced in that one's place, or the tile would wait for ever
   */
  owesDown = false;
  /** a=mid of the first accepted section, for ICE restart answers */
  firstMid = '0';
  /** ICE credentials the client last used, to tell trickle from restart */
  remoteIceUfrag = '';
  etag = newEtag();
  #closed = false;
  readonly #cleanups: (() => void)[] = [];

  constructor(opts: {
    deviceId: string;
    tenantId: string;
    transport: types.WebRtcTransport;
    tokenIat: number;
  }) {
    super();
    this.tokenIat = opts.tokenIat;
    this.deviceId = opts.deviceId;
    this.tenantId = opts.tenantId;
    this.transport = opts.transport;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** run when the publisher closes (peer watch, media gate timers) */
  onCleanup(fn: () => void): void {
    this.#cleanups.push(fn);
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
    for (const fn of this.#cleanups.splice(0)) fn();
    if (!this.transport.closed) this.transport.close();
    this.emit('close', reason);
  }
}
