/**
 * One timer for thousands of devices. Devices are spread over `slots` buckets; a single interval
 * fires every periodMs/slots and services the bucket whose turn it is, so each device is serviced
 * once per period and the load is even across the period (no thundering herd at the full second,
 * no 10,000 setIntervals). When the event loop falls behind, due buckets are caught up, but never
 * more than one full period at once.
 */

export interface WheelMember {
  /** called once per period with the wall-clock time of the service */
  tick(nowMs: number): void;
}

export interface TimerWheelOptions {
  periodMs: number;
  /** desired granularity; the slot count is periodMs / slotMs rounded (default 20 ms) */
  slotMs?: number;
  now?: () => number;
  /** called once per interval firing, after the due buckets (housekeeping, retries) */
  afterTick?: (nowMs: number) => void;
}

export class TimerWheel<T extends WheelMember> {
  readonly periodMs: number;
  readonly slots: number;
  readonly slotMs: number;
  readonly #buckets: T[][];
  readonly #now: () => number;
  readonly #afterTick: ((nowMs: number) => void) | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #startedAt = 0;
  #slotsDone = 0;
  #next = 0;
  #size = 0;

  constructor(opts: TimerWheelOptions) {
    if (!(opts.periodMs > 0)) throw new RangeError(`periodMs must be > 0 [periodMs:${opts.periodMs}]`);
    this.periodMs = opts.periodMs;
    this.slots = Math.max(1, Math.round(opts.periodMs / (opts.slotMs ?? 20)));
    this.slotMs = opts.periodMs / this.slots;
    this.#buckets = Array.from({ length: this.slots }, () => []);
    this.#now = opts.now ?? Date.now;
    this.#afterTick = opts.afterTick;
  }

  get size(): number {
    return this.#size;
  }

  /** Add a member to the next bucket in turn (round robin keeps buckets equal). */
  add(member: T): void {
    this.#buckets[this.#next]!.push(member);
    this.#next = (this.#next + 1) % this.slots;
    this.#size++;
  }

  remove(member: T): void {
    for (const b of this.#buckets) {
      const i = b.indexOf(member);
      if (i >= 0) {
        b.splice(i, 1);
        this.#size--;
        return;
      }
    }
  }

  start(): void {
    if (this.#timer) return;
    this.#startedAt = this.#now();
    this.#slotsDone = 0;
    this.#timer = setInterval(() => this.runDue(), Math.max(1, Math.floor(this.slotMs)));
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Service every bucket due by now (the interval calls this; tests may call it directly). */
  runDue(): void {
    const now = this.#now();
    const target = Math.floor((now - this.#startedAt) / this.slotMs);
    if (target - this.#slotsDone > this.slots) this.#slotsDone = target - this.slots;
    while (this.#slotsDone < target) {
      const bucket = this.#buckets[this.#slotsDone % this.slots]!;
      this.#slotsDone++;
      for (let i = 0; i < bucket.length; i++) bucket[i]!.tick(now);
    }
    this.#afterTick?.(now);
  }
}
