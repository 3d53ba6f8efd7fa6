import type { StatusAck } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { Outbox } from './outbox.ts';

interface Ev {
  seq: number;
  label: string;
}
const ev = (seq: number): Ev => ({ seq, label: `e${seq}` });
const ok = (seq: number, duplicate = false): StatusAck => ({ ok: true, seq, duplicate });
const retryable = (seq: number): StatusAck => ({
  ok: false,
  seq,
  code: 'unavailable',
  message: 'storage unavailable',
  retry: true,
});
const fatal = (seq: number): StatusAck => ({
  ok: false,
  seq,
  code: 'bad_request',
  message: 'bad',
  retry: false,
});
const zeroJitter = () => 0;

/** Send everything the outbox allows now and return the seqs. */
function drainSends(o: Outbox<Ev>, now: number) {
  const sent: Array<{ seq: number; token: number }> = [];
  for (let e = o.next(now); e; e = o.next(now)) sent.push({ seq: e.seq, token: e.token });
  return sent;
}

describe('Outbox', () => {
  it('keeps an event until it is acknowledged with ok', () => {
    const o = new Outbox<Ev>();
    o.push(ev(1));
    const e = o.next(0)!;
    expect(e.seq).toBe(1);
    expect(o.size).toBe(1);
    expect(o.next(0)).toBeUndefined(); // stop-and-wait: window of one
    expect(o.ack(1, e.token, ok(1), 0)).toBe('acked');
    expect(o.size).toBe(0);
  });

  it('resends the same event (same seq, same object) after a timeout, once the backoff has passed', () => {
    const o = new Outbox<Ev>({ retryBaseMs: 1000, rng: zeroJitter });
    const original = ev(7);
    o.push(original);
    const firstToken = o.next(0)!.token;
    expect(o.fail(7, firstToken, 100)).toBe('retry');
    expect(o.size).toBe(1);
    expect(o.next(200)).toBeUndefined(); // still backing off (100 + 500)
    const second = o.next(600)!;
    expect(second.seq).toBe(7);
    expect(second.event).toBe(original);
    expect(second.sends).toBe(2);
    expect(second.token).not.toBe(firstToken);
  });

  it('backs off exponentially on consecutive failures and resets after success', () => {
    const o = new Outbox<Ev>({ retryBaseMs: 1000, retryMaxMs: 5000, rng: () => 1 - Number.EPSILON });
    o.push(ev(1));
    let e = o.next(0)!;
    o.fail(1, e.token, 0);
    expect(o.blockedUntilMs).toBeCloseTo(1000, 0);
    e = o.next(1000)!;
    o.fail(1, e.token, 1000);
    expect(o.blockedUntilMs).toBeCloseTo(3000, 0);
    e = o.next(3000)!;
    o.fail(1, e.token, 3000);
    expect(o.blockedUntilMs).toBeCloseTo(7000, 0);
    e = o.next(7000)!;
    o.fail(1, e.token, 7000);
    expect(o.blockedUntilMs).toBeCloseTo(12_000, 0); // capped at retryMaxMs
    e = o.next(12_000)!;
    expect(o.ack(1, e.token, ok(1), 12_000)).toBe('acked');
    expect(o.failures).toBe(0);
    expect(o.blockedUntilMs).toBe(0);
  });

  it('treats a retryable error like a timeout and a non-retryable one as final', () => {
    const o = new Outbox<Ev>({ rng: zeroJitter });
    o.push(ev(1));
    o.push(ev(2));
    let e = o.next(0)!;
    expect(o.ack(1, e.token, retryable(1), 0)).toBe('retry');
    expect(o.size).toBe(2);
    e = o.next(10_000)!;
    expect(e.seq).toBe(1);
    expect(o.ack(1, e.token, fatal(1), 10_000)).toBe('rejected');
    expect([...o.entries()].map((x) => x.seq)).toEqual([2]);
  });

  it('drops an event acknowledged as duplicate', () => {
    const o = new Outbox<Ev>();
    o.push(ev(3));
    const e = o.next(0)!;
    expect(o.ack(3, e.token, ok(3, true), 0)).toBe('duplicate');
    expect(o.size).toBe(0);
  });

  it('replays everything buffered while offline in seq order after reconnecting', () => {
    const o = new Outbox<Ev>();
    o.push(ev(1));
    const inFlightToken = o.next(0)!.token;
    o.disconnected(); // signal lost while 1 awaited its ack
    for (let s = 2; s <= 6; s++) o.push(ev(s));
    const replayed: number[] = [];
    let now = 1000;
    for (let e = o.next(now); e; e = o.next(now)) {
      replayed.push(e.seq);
      o.ack(e.seq, e.token, ok(e.seq), now);
      now += 5;
    }
    expect(replayed).toEqual([1, 2, 3, 4, 5, 6]);
    expect(o.size).toBe(0);
    // a late failure for the pre-disconnect attempt is recognised as stale
    expect(o.fail(1, inFlightToken, now)).toBe('stale');
  });

  it('accepts a late ok ack for an earlier attempt, and ignores a late failure of an earlier attempt', () => {
    const o = new Outbox<Ev>({ rng: zeroJitter });
    o.push(ev(1));
    const a = o.next(0)!.token;
    o.disconnected();
    const b = o.next(0)!.token;
    expect(o.fail(1, a, 0)).toBe('stale');
    expect(o.size).toBe(1);
    expect(o.ack(1, a, ok(1), 0)).toBe('acked'); // the gateway did store it
    expect(o.ack(1, b, ok(1, true), 0)).toBe('stale');
    expect(o.size).toBe(0);
  });

  it('with a window > 1 restarts from the oldest unacked event after a failure, in order', () => {
    const o = new Outbox<Ev>({ maxInFlight: 3, rng: zeroJitter, retryBaseMs: 100 });
    for (let s = 1; s <= 5; s++) o.push(ev(s));
    const first = drainSends(o, 0);
    expect(first.map((x) => x.seq)).toEqual([1, 2, 3]);
    o.ack(1, first[0]!.token, ok(1), 0);
    expect(o.fail(2, first[1]!.token, 0)).toBe('retry');
    // the ack for 3 still arrives: it is stored, so it leaves the outbox
    expect(o.ack(3, first[2]!.token, ok(3), 1)).toBe('acked');
    expect(drainSends(o, 10)).toEqual([]);
    expect(drainSends(o, 100).map((x) => x.seq)).toEqual([2, 4, 5]);
  });

  it('refuses seqs that do not increase', () => {
    const o = new Outbox<Ev>();
    o.push(ev(5));
    expect(() => o.push(ev(5))).toThrow(/seq must increase/);
    expect(() => o.push(ev(4))).toThrow(RangeError);
  });

  it('drops the oldest event when full and reports it', () => {
    const o = new Outbox<Ev>({ capacity: 3 });
    expect(o.push(ev(1))).toBeUndefined();
    o.push(ev(2));
    o.push(ev(3));
    expect(o.push(ev(4))?.seq).toBe(1);
    expect([...o.entries()].map((x) => x.seq)).toEqual([2, 3, 4]);
  });

  it('stays consistent over many push/ack cycles (queue compaction)', () => {
    const o = new Outbox<Ev>();
    let seq = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) o.push(ev(++seq));
      for (let e = o.next(round); e && o.size > 10; e = o.next(round))
        o.ack(e.seq, e.token, ok(e.seq), round);
    }
    const left = [...o.entries()].map((x) => x.seq);
    expect(left.length).toBe(o.size);
    expect(left).toEqual([...left].sort((a, b) => a - b));
    expect(left.at(-1)).toBe(seq);
  });
});
