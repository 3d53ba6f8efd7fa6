/**
 * Talkback (issue 16): one stable audio producer per camera that whoever is speaking to it feeds.
 *
 * The camera subscribes once (sfu/src/talkback-routes.ts, `POST /talkback/<deviceId>/listen`) and
 * keeps that subscription; speakers come and go (press and hold "Sprechen"). A mediasoup consumer
 * is bound to one producer and WHEP-style subscriptions cannot be renegotiated from the server, so
 * the camera consumes this relay's producer, whose SSRC never changes: each speaker's Opus packets
 * come out of a DirectTransport consumer into Node, get the relay's SSRC, a continuous sequence
 * number and a timestamp that continues where the previous speaker stopped, and go back in through
 * the relay's DirectTransport producer. At 50 packets per second per speaker this costs nothing.
 */
import { randomInt } from 'node:crypto';
import type { types } from 'mediasoup';

/** one Opus frame of 20 ms at 48 kHz, the step the timestamp continues with after a switch */
const OPUS_FRAME_TICKS = 960;

export class TalkbackRelay {
  readonly producer: types.Producer;
  readonly #direct: types.DirectTransport;
  readonly #ssrc: number;
  #seq = randomInt(0, 0xffff);
  #lastOutTs: number | null = null;
  #source: { ssrc: number; tsOffset: number } | null = null;
  /** packets forwarded to the camera so far (stats, tests) */
  packets = 0;

  private constructor(direct: types.DirectTransport, producer: types.Producer, ssrc: number) {
    this.#direct = direct;
    this.producer = producer;
    this.#ssrc = ssrc;
  }

  static async open(router: types.Router, appData: Record<string, unknown>): Promise<TalkbackRelay> {
    const opus = router.rtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === 'audio/opus');
    if (!opus?.preferredPayloadType) throw new Error('the router has no Opus codec');
    const direct = await router.createDirectTransport({ appData });
    const ssrc = randomInt(1, 0x7fffffff);
    const producer = await direct.produce({
      kind: 'audio',
      rtpParameters: {
        mid: 'talkback',
        codecs: [
          {
            mimeType: 'audio/opus',
            payloadType: opus.preferredPayloadType,
            clockRate: 48000,
            channels: 2,
            parameters: { useinbandfec: 1 },
            rtcpFeedback: [],
          },
        ],
        encodings: [{ ssrc }],
        rtcp: { cname: 'lagebild-talkback', reducedSize: true },
      },
      appData,
    });
    return new TalkbackRelay(direct, producer, ssrc);
  }

  get closed(): boolean {
    return this.#direct.closed;
  }

  /** Starts forwarding a speaker's audio producer; the returned function stops it. */
  async speak(source: types.Producer, router: types.Router): Promise<() => void> {
    const consumer = await this.#direct.consume({
      producerId: source.id,
      rtpCapabilities: router.rtpCapabilities,
    });
    consumer.on('rtp', (packet: Buffer) => this.#forward(packet));
    return () => {
      if (!consumer.closed) consumer.close();
    };
  }

  #forward(packet: Buffer): void {
    if (packet.length < 12 || this.producer.closed) return;
    const out = Buffer.from(packet);
    const ssrc = out.readUInt32BE(8);
    const ts = out.readUInt32BE(4);
    if (this.#source?.ssrc !== ssrc) {
      // a new speaker: its timestamps continue the relay's, one frame after the last one sent
      const next = this.#lastOutTs === null ? ts : (this.#lastOutTs + OPUS_FRAME_TICKS) >>> 0;
      this.#source = { ssrc, tsOffset: (next - ts) >>> 0 };
    }
    const outTs = (ts + this.#source.tsOffset) >>> 0;
    this.#seq = (this.#seq + 1) & 0xffff;
    out.writeUInt16BE(this.#seq, 2);
    out.writeUInt32BE(outTs, 4);
    out.writeUInt32BE(this.#ssrc, 8);
    this.#lastOutTs = outTs;
    this.packets++;
    this.producer.send(out);
  }

  close(): void {
    if (!this.#direct.closed) this.#direct.close();
  }
}
