/**
 * Which unit is under the pointer. The canvas layer records every glyph it draws (centre and radius,
 * in container pixels) in draw order; the last one drawn is on top and wins. Flat typed arrays are
 * reused between frames so drawing 2,000 units 60 times a second creates no garbage.
 */

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

  return {
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
      for (let i = count - 1; i >= 0; i--) {
        const dx = x - (xs[i] ?? 0);
        const dy = y - (ys[i] ?? 0);
        const r = rs[i] ?? 0;
        if (dx * dx + dy * dy <= r * r) return ids[i] ?? null;
      }
      return null;
    },
    get size(): number {
      return count;
    },
  };
}
export type HitIndex = ReturnType<typeof createHitIndex>;
