/**
 * How long the gateway has been silent, as the page can tell it: silence is counted only while the
 * page itself was running. A page busy for seconds (a large snapshot or batch at 10,000 units, a
 * garbage collection, a suspended tab) gets its watchdog tick late, and the gateway's messages of
 * that time are still queued behind it; counting that stretch as silence made the page drop a
 * working connection and load everything again, which kept it busy (issue 17). The time a tick
 * comes later than its period is therefore credited to the last message; on a page that runs on
 * time the watch says "silent" exactly `timeoutMs` after the last message, as before.
 */
export interface SilenceWatch {
  /** a message arrived (or the connection opened) */
  heard(nowMs: number): void;
  /** the watchdog's periodic tick; true when the gateway has been silent for `timeoutMs` */
  tick(nowMs: number): boolean;
}

export function silenceWatch(o: { timeoutMs: number; tickMs: number; nowMs: number }): SilenceWatch {
  let lastHeard = o.nowMs;
  let lastTick = o.nowMs;
  return {
    heard(nowMs) {
      lastHeard = nowMs;
    },
    tick(nowMs) {
      // a tick later than its period by more than a period: the page was not running meanwhile
      const late = nowMs - lastTick - o.tickMs;
      if (late > o.tickMs) lastHeard += late;
      lastTick = nowMs;
      return nowMs - lastHeard >= o.timeoutMs;
    },
  };
}
