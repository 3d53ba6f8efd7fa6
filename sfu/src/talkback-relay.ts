/**
 * Talkback (issue 16): one stable audio producer per camera that whoever is speaking to it feeds.
 *
 * The camera subscribes once (sfu/src/talkback-routes.ts, `POST /talkback/<deviceId>/listen`) and
 * keeps that subscription; speakers come and go (press and hold "Sprechen"). A mediasoup consumer
 * is bound to one producer and WHEP-style subscriptions cannot be renegotiated from the server, so
 * the camera consumes this relay's producer, whose SSRC never changes: each speaker's Opus packets
 * come out of a DirectTransport consumer into Node, get the relay's SSRC, a continuous sequence
 * number and a timestamp that continues where the previous speaker stopped, and go back in through
 * the relay's DirectTransport producer. At 50 packets per second per speaker this costs nothing;
 * the recording's track adds 50 silence packets per second per recording camera (a timer in Node).
 */
import { randomInt } from 'node:crypto';
import type { types } from 'mediasoup';

/** one Opus frame of 20 ms at 48 kHz, the step the timestamp continues with after a switch */
const OPUS_FRAME_TICKS = 960;
const FRAME_MS = 20;
/** an Opus packet of 20 ms of silence (CELT, fullband, one frame), what WebRTC stacks send for DTX */
const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);

/**
 * One output of the relay: a DirectTransport producer with a stable SSRC, continuous sequence
 * numbers and timestamps whatever source feeds it.
 */
export class RelayOutput {
  readonly producer: types.Producer;
  readonly #ssrc: number;
  readonly #pt: number;
  #seq = randomInt(0, 0xffff);
  #lastTs: number | null = null;
  #source: { ssrc: number; tsOffset: number } | null = null;
  /** when the last packet of a speaker went out (silence fills only gaps longer than a frame) */
  lastSpokenAt = 0;
  #lastSentAt = 0;
  packets = 0;

  constructor(producer: types.Producer, ssrc: number, pt: number) {
    this.producer = producer;
    this.#ssrc = ssrc;
    this.#pt = pt;
  }

  forward(packet: Buffer): void {
    if (packet.length < 12 || this.producer.closed) return;
    const out = Buffer.from(packet);
    const ssrc = out.readUInt32BE(8);
    const ts = out.readUInt32BE(4);
    if (this.#source?.ssrc !== ssrc) {
      // a new speaker: its timestamps continue the relay's, one frame after the last one sent
      const next = this.#lastTs === null ? ts : (this.#lastTs + OPUS_FRAME_TICKS) >>> 0;
      this.#source = { ssrc, tsOffset: (next - ts) >>> 0 };
    }
    this.lastSpokenAt = Date.now();
    this.#lastSentAt = this.lastSpokenAt;
    this.#send(out, (ts + this.#source.tsOffset) >>> 0);
  }

  /** 20 ms of silence, if no speaker sent anything for longer than a frame */
  silence(): void {
    if (this.producer.closed || Date.now() - this.lastSpokenAt < 3 * FRAME_MS) return;
    this.#source = null; // the next speaker continues after this frame
    const out = Buffer.alloc(12 + OPUS_SILENCE.length);
    out[0] = 0x80;
    out[1] = this.#pt & 0x7f;
    OPUS_SILENCE.copy(out, 12);
    // timestamps follow the wall clock, not the timer's ticks: a late or skipped tick on a busy
    // machine must not make this track's media time fall behind the other tracks'
    const now = Date.now();
    const frames = this.#lastSentAt === 0 ? 1 : Math.max(1, Math.round((now - this.#lastSentAt) / FRAME_MS));
    this.#lastSentAt =
      Math.abs(now - (this.#lastSentAt + frames * FRAME_MS)) > 5 * FRAME_MS
        ? now
        : this.#lastSentAt + frames * FRAME_MS;
    const ts =
      this.#lastTs === null ? randomInt(0, 0x7fffffff) : (this.#lastTs + frames * OPUS_FRAME_TICKS) >>> 0;
    this.#send(out, ts);
  }

  #send(out: Buffer, ts: number): void {
    this.#seq = (this.#seq + 1) & 0xffff;
    out.writeUInt16BE(this.#seq, 2);
    out.writeUInt32BE(ts, 4);
    out.writeUInt32BE(this.#ssrc, 8);
    this.#lastTs = ts;
    this.packets++;
    this.producer.send(out);
  }
}

/**
 * Two outputs: `producer`, what the camera hears (speakers only), and `recordProducer`, the
 * recording's talkback track ([K6]): the same speakers, and Opus silence between them while the
 * camera records, so the track runs from the recording's start to its end (ffmpeg probes and
 * interleaves every track it is given; a track without packets would hold the others back).
 */
export class TalkbackRelay {
  readonly #direct: types.DirectTransport;
  readonly #camera: RelayOutput;
  readonly #record: RelayOutput;
  #silenceTimer: NodeJS.Timeout | undefined;
  #recordings = 0;

  private constructor(direct: types.DirectTransport, camera: RelayOutput, record: RelayOutput) {
    this.#direct = direct;
    this.#camera = camera;
    this.#record = record;
  }

  static async open(router: types.Router, appData: Record<string, unknown>): Promise<TalkbackRelay> {
    const opus = router.rtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === 'audio/opus');
    if (!opus?.preferredPayloadType) throw new Error('the router has no Opus codec');
    const pt = opus.preferredPayloadType;
    const direct = await router.createDirectTransport({ appData });
    const output = async (mid: string) => {
      const ssrc = randomInt(1, 0x7fffffff);
      const producer = await direct.produce({
        kind: 'audio',
        rtpParameters: {
          mid,
          codecs: [
            {
              mimeType: 'audio/opus',
              payloadType: pt,
              clockRate: 48000,
              channels: 2,
              parameters: { useinbandfec: 1 },
              rtcpFeedback: [],
            },
          ],
          encodings: [{ ssrc }],
          rtcp: { cname: 'lagebild-talkback', reducedSize: true },
        },
        appData: { ...appData, output: mid },
      });
      return new RelayOutput(producer, ssrc, pt);
    };
    return new TalkbackRelay(direct, await output('talkback'), await output('talkback-record'));
  }

  /** what the camera's subscription consumes */
  get producer(): types.Producer {
    return this.#camera.producer;
  }

  /** what the recorder consumes as the recording's talkback track */
  get recordProducer(): types.Producer {
    return this.#record.producer;
  }

  /** packets the camera was sent so far (stats, tests) */
  get packets(): number {
    return this.#camera.packets;
  }

  get closed(): boolean {
    return this.#direct.closed;
  }

  /** A recording of the camera runs: fill its track with silence until the returned function is called. */
  recording(): () => void {
    this.#recordings++;
    this.#silenceTimer ??= setInterval(() => this.#record.silence(), FRAME_MS);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.#recordings === 0) {
        clearInterval(this.#silenceTimer);
        this.#silenceTimer = undefined;
      }
    };
  }

  /** recordings of the camera that hold this relay's track now */
  get recordings(): number {
    return this.#recordings;
  }

  /** Starts forwarding a speaker's audio producer; the returned function stops it. */
  async speak(source: types.Producer, router: types.Router): Promise<() => void> {
    const consumer = await this.#direct.consume({
      producerId: source.id,
      rtpCapabilities: router.rtpCapabilities,
    });
    consumer.on('rtp', (packet: Buffer) => {
      this.#camera.forward(packet);
      this.#record.forward(packet);
    });
    return () => {
      if (!consumer.closed) consumer.close();
    };
  }

  close(): void {
    clearInterval(this.#silenceTimer);
    this.#silenceTimer = undefined;
    if (!this.#direct.closed) this.#direct.close();
  }
}
