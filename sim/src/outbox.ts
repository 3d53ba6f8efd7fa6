/**
 * The device's outbox: every status stays here until the gateway has acknowledged it with `ok`.
 *
 * Rules (see the `/device` protocol in @lagebild/protocol):
 * - events leave in seq order; an event is only dropped on an ok ack (new or duplicate) or on a
 *   non-retryable rejection, never because a send timed out or the socket went away;
 * - a resend carries the same event object, so the same seq;
 * - after a failure (timeout, retryable error) nothing is sent until a jittered exponential backoff
 *   has passed, and then sending restarts from the oldest unacknowledged event, so the gateway
 *   sees the stream in order again;
 * - at most `maxInFlight` events wait for an ack at once. The default of 1 (stop-and-wait) keeps
 *   strict order even when one event fails and a later one would have succeeded; at 1 status per
 *   second and loopback/LAN round trips that costs nothing, and a replay after an outage still
 *   drains at one event per round trip.
 *
 * Time is passed in (`nowMs`), so the class is deterministic and testable without timers.
 */
import type { StatusAck } from '@lagebild/protocol';
import type { Rng } from './prng.ts';

export interface OutboxEntry<T> {
  readonly seq: number;
  readonly event: T;
  /** identifies the current send attempt; acks and failures of older attempts are recognised */
  token: number;
  inFlight: boolean;
  /** how many times the event has been handed out for sending */
  sends: number;
}

export interface OutboxOptions {
  /** events awaiting an ack at the same time (default 1) */
  maxInFlight?: number;
  /** most events kept; beyond it the oldest is dropped, as a device with full storage would (default 100,000) */
  capacity?: number;
  /** first backoff after a failure (default 500 ms), doubled per consecutive failure up to retryMaxMs */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** jitter source (default Math.random) */
  rng?: Rng;
}

/** What an ack (or its absence) did to the outbox. */
export type AckOutcome = 'acked' | 'duplicate' | 'rejected' | 'retry' | 'stale';

export class Outbox<T extends { seq: number }> {
  readonly #maxInFlight: number;
  readonly #capacity: number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #rng: Rng;
  /** queue in seq order; slots before #head are consumed */
  #queue: Array<OutboxEntry<T> | undefined> = [];
  #head = 0;
  #inFlight = 0;
  #nextToken = 1;
  #failures = 0;
  #blockedUntilMs = 0;
  #lastSeq = -1;

  constructor(opts: OutboxOptions = {}) {
    this.#maxInFlight = Math.max(1, opts.maxInFlight ?? 1);
    this.#capacity = Math.max(1, opts.capacity ?? 100_000);
    this.#retryBaseMs = opts.retryBaseMs ?? 500;
    this.#retryMaxMs = opts.retryMaxMs ?? 30_000;
    this.#rng = opts.rng ?? Math.random;
  }

  /** events not yet acknowledged (including those in flight) */
  get size(): number {
    return this.#queue.length - this.#head;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** nothing is sent before this time (epoch ms); 0 when not backing off */
  get blockedUntilMs(): number {
    return this.#blockedUntilMs;
  }

  /** consecutive failures since the last definitive answer */
  get failures(): number {
    return this.#failures;
  }

  /**
   * Queue a new event. Its seq must be greater than every seq pushed before.
   * Returns the event dropped to make room, if the outbox was full.
   */
  push(event: T): T | undefined {
    if (!(event.seq > this.#lastSeq)) {
      throw new RangeError(`outbox seq must increase [last:${this.#lastSeq}, got:${event.seq}]`);
    }
    this.#lastSeq = event.seq;
    this.#queue.push({ seq: event.seq, event, token: 0, inFlight: false, sends: 0 });
    if (this.size > this.#capacity) {
      const oldest = this.#queue[this.#head]!;
      this.#removeAt(this.#head);
      return oldest.event;
    }
    return undefined;
  }

  /**
   * The next event to send now, marked as in flight with a fresh token; undefined when the window
   * is full, the outbox is backing off, or everything is already in flight.
   */
  next(nowMs: number): OutboxEntry<T> | undefined {
    if (this.#inFlight >= this.#maxInFlight || nowMs < this.#blockedUntilMs) return undefined;
    for (let i = this.#head; i < this.#queue.length; i++) {
      const e = this.#queue[i]!;
      if (e.inFlight) continue;
      e.inFlight = true;
      e.token = this.#nextToken++;
      e.sends++;
      this.#inFlight++;
      return e;
    }
    return undefined;
  }

  /** Apply the gateway's answer to the send identified by seq and token. */
  ack(seq: number, token: number, ack: StatusAck, nowMs: number): AckOutcome {
    const i = this.#indexOf(seq);
    if (i < 0) return 'stale';
    const e = this.#queue[i]!;
    if (ack.ok) {
      // An ok ack is definitive whichever attempt it answers: the gateway has the event. Only an
      // answer to the current attempt ends a backoff, though: a late ack says little about now.
      const current = e.inFlight && e.token === token;
      this.#removeAt(i);
      if (current) {
        this.#failures = 0;
        this.#blockedUntilMs = 0;
      }
      return ack.duplicate ? 'duplicate' : 'acked';
    }
    if (!e.inFlight || e.token !== token) return 'stale';
    if (!ack.retry) {
      this.#removeAt(i);
      return 'rejected';
    }
    this.#backOff(nowMs);
    return 'retry';
  }

  /** The send identified by seq and token got no answer in time (or the transport failed). */
  fail(seq: number, token: number, nowMs: number): AckOutcome {
    const i = this.#indexOf(seq);
    if (i < 0) return 'stale';
    const e = this.#queue[i]!;
    if (!e.inFlight || e.token !== token) return 'stale';
    this.#backOff(nowMs);
    return 'retry';
  }

  /**
   * The connection is gone: nothing is in flight any more. Late answers to earlier attempts are
   * recognised as stale; after reconnecting, sending restarts at the oldest event without waiting.
   */
  disconnected(): void {
    this.#releaseInFlight();
    this.#blockedUntilMs = 0;
  }

  /** Events in seq order, oldest first (for tests and diagnostics). */
  *entries(): IterableIterator<Readonly<OutboxEntry<T>>> {
    for (let i = this.#head; i < this.#queue.length; i++) yield this.#queue[i]!;
  }

  #backOff(nowMs: number): void {
    this.#failures++;
    const base = Math.min(this.#retryMaxMs, this.#retryBaseMs * 2 ** Math.min(this.#failures - 1, 20));
    // full jitter between half and the whole delay, so many devices do not retry in lockstep
    this.#blockedUntilMs = nowMs + base * (0.5 + 0.5 * this.#rng());
    this.#releaseInFlight();
  }

  #releaseInFlight(): void {
    for (let i = this.#head; i < this.#queue.length && this.#inFlight > 0; i++) {
      const e = this.#queue[i]!;
      if (e.inFlight) {
        e.inFlight = false;
        e.token = 0;
        this.#inFlight--;
      }
    }
    this.#inFlight = 0;
  }

  #indexOf(seq: number): number {
    let lo = this.#head;
    let hi = this.#queue.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.#queue[mid]!.seq;
      if (s === seq) return mid;
      if (s < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  #removeAt(i: number): void {
    const e = this.#queue[i]!;
    if (e.inFlight) this.#inFlight--;
    if (i === this.#head) {
      this.#queue[i] = undefined;
      this.#head++;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      } else if (this.#head >= 64 && this.#head * 2 >= this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
    } else {
      this.#queue.splice(i, 1);
    }
  }
}
