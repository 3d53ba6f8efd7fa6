/**
 * Which unit is under the pointer. The canvas layer records every glyph it draws (centre and radius,
 * in layer pixels) in draw order; the last one drawn is on top and wins. Flat typed arrays are
 * reused between frames so drawing 2,000 units 60 times a second creates no garbage. Where the
 * drawing worker places the units (unit-mirror.ts), it records them by slot (`createSlotHits`) and
 * hands the arrays to the page with its bitmap (`hitsOf`).
 */

/** the index of the topmost circle containing (x, y), or -1 */
function topmost(xs: Float32Array, ys: Float32Array, rs: Float32Array, count: number, x: number, y: number) {
  for (let i = count - 1; i >= 0; i--) {
    const dx = x - (xs[i] ?? 0);
    const dy = y - (ys[i] ?? 0);
    const r = rs[i] ?? 0;
    if (dx * dx + dy * dy <= r * r) return i;
  }
  return -1;
}

/** what packUnits records each placed unit in */
export interface HitSink<U> {
  reset(): void;
  add(unit: U, x: number, y: number, radius: number): void;
}

/** what the layer asks on hover and click */
export interface HitLookup {
  /** topmost glyph whose circle contains (x, y), or null */
  find(x: number, y: number): string | null;
}

export function createHitIndex(initialCapacity = 1024) {
  let capacity = initialCapacity;
  let xs = new Float32Array(capacity);
  let ys = new Float32Array(capacity);
  let rs = new Float32Array(capacity);
  let ids: string[] = new Array(capacity);
  let count = 0;

  function grow(): void {
    capacity *= 2;
    const nx = new Float32Array(capacity);
    const ny = new Float32Array(capacity);
    const nr = new Float32Array(capacity);
    nx.set(xs);
    ny.set(ys);
    nr.set(rs);
    xs = nx;
    ys = ny;
    rs = nr;
    ids = ids.concat(new Array(capacity - ids.length));
  }

  const index = {
    reset(): void {
      count = 0;
    },
    add(id: string, x: number, y: number, radius: number): void {
      if (count === capacity) grow();
      xs[count] = x;
      ys[count] = y;
      rs[count] = radius;
      ids[count] = id;
      count += 1;
    },
    /** topmost glyph whose circle contains (x, y), or null */
    find(x: number, y: number): string | null {
      const i = topmost(xs, ys, rs, count, x, y);
      return i < 0 ? null : (ids[i] ?? null);
    },
    get size(): number {
      return count;
    },
    /** the index as packUnits fills it: units by their device id */
    sink: {
      reset: () => index.reset(),
      add: (unit: { deviceId: string }, x: number, y: number, radius: number) =>
        index.add(unit.deviceId, x, y, radius),
    } satisfies HitSink<{ deviceId: string }>,
  };
  return index;
}
export type HitIndex = ReturnType<typeof createHitIndex>;

/** the hits of one worker frame: centres, radii and the units' slots, in draw order */
export interface SlotHits {
  xs: Float32Array;
  ys: Float32Array;
  rs: Float32Array;
  slots: Int32Array;
  count: number;
}

/** The worker's hit index: units by slot, in arrays that are handed over (`take`) with each frame. */
export function createSlotHits(initialCapacity = 1024) {
  let hits: SlotHits;
  const fresh = (capacity: number): SlotHits => ({
    xs: new Float32Array(capacity),
    ys: new Float32Array(capacity),
    rs: new Float32Array(capacity),
    slots: new Int32Array(capacity),
    count: 0,
  });
  hits = fresh(initialCapacity);
  return {
    reset(): void {
      hits.count = 0;
    },
    add(unit: { slot: number }, x: number, y: number, radius: number): void {
      const n = hits.count;
      if (n === hits.xs.length) {
        const grown = fresh(n * 2);
        grown.xs.set(hits.xs);
        grown.ys.set(hits.ys);
        grown.rs.set(hits.rs);
        grown.slots.set(hits.slots);
        hits = grown;
      }
      hits.xs[n] = x;
      hits.ys[n] = y;
      hits.rs[n] = radius;
      hits.slots[n] = unit.slot;
      hits.count = n + 1;
    },
    /** this frame's hits, to transfer; the next frame gets new arrays of the same size */
    take(): SlotHits {
      const taken = hits;
      hits = fresh(taken.xs.length);
      return taken;
    },
  } satisfies HitSink<{ slot: number }> & { take(): SlotHits };
}

/** The page's lookup over a worker frame's hits; slots name units through `idOf`. */
export function hitsOf(hits: SlotHits, idOf: (slot: number) => string | undefined): HitLookup {
  return {
    find(x, y) {
      const i = topmost(hits.xs, hits.ys, hits.rs, hits.count, x, y);
      return i < 0 ? null : (idOf(hits.slots[i]!) ?? null);
    },
  };
}

/** no units under any point (before the first frame is shown) */
export const NO_HITS: HitLookup = { find: () => null };
