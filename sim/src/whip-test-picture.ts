/**
 * The simulated camera's picture, drawn straight into I420 frames: a colour per unit, the unit's
 * label in large block letters, a moving bar (so a frozen picture is visible), and a machine-
 * readable wall-clock stamp in the top two macroblock rows for glass-to-glass latency:
 *
 *   row 0 (y 0–15):  40 blocks of 16×16 px, bit i = (Date.now() mod 2^40) >> (39 − i), white = 1
 *   row 1 (y 16–31): the same bits inverted, so a reader can tell a clean read from a smeared one
 *
 * Blocks sit on the codec's 16×16 macroblock grid, so VP8/H.264 at ordinary bitrates keep them
 * black or white. `readFrameStamp` decodes it from a luma plane (Node via wrtc's video sink, or the
 * same arithmetic on canvas pixels in a browser).
 */

export const STAMP_BITS = 40;
const BLOCK = 16;
export const PICTURE_WIDTH = STAMP_BITS * BLOCK; // 640
export const PICTURE_HEIGHT = 360;

/** 5×7 glyphs, one row per string, '#' = set. Enough for labels like "DU-07" and "STREIFE 12". */
const FONT: Record<string, string[]> = {
  '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '3': ['####.', '....#', '....#', '.###.', '....#', '....#', '####.'],
  '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  '6': ['.###.', '#....', '#....', '####.', '#...#', '#...#', '.###.'],
  '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  '9': ['.###.', '#...#', '#...#', '.####', '....#', '....#', '.###.'],
  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  B: ['####.', '#...#', '#...#', '####.', '#...#', '#...#', '####.'],
  C: ['.###.', '#...#', '#....', '#....', '#....', '#...#', '.###.'],
  D: ['####.', '#...#', '#...#', '#...#', '#...#', '#...#', '####.'],
  E: ['#####', '#....', '#....', '####.', '#....', '#....', '#####'],
  F: ['#####', '#....', '#....', '####.', '#....', '#....', '#....'],
  G: ['.###.', '#...#', '#....', '#.###', '#...#', '#...#', '.###.'],
  H: ['#...#', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  I: ['.###.', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  J: ['..###', '...#.', '...#.', '...#.', '...#.', '#..#.', '.##..'],
  K: ['#...#', '#..#.', '#.#..', '##...', '#.#..', '#..#.', '#...#'],
  L: ['#....', '#....', '#....', '#....', '#....', '#....', '#####'],
  M: ['#...#', '##.##', '#.#.#', '#.#.#', '#...#', '#...#', '#...#'],
  N: ['#...#', '##..#', '#.#.#', '#..##', '#...#', '#...#', '#...#'],
  O: ['.###.', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  P: ['####.', '#...#', '#...#', '####.', '#....', '#....', '#....'],
  Q: ['.###.', '#...#', '#...#', '#...#', '#.#.#', '#..#.', '.##.#'],
  R: ['####.', '#...#', '#...#', '####.', '#.#..', '#..#.', '#...#'],
  S: ['.####', '#....', '#....', '.###.', '....#', '....#', '####.'],
  T: ['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..'],
  U: ['#...#', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  V: ['#...#', '#...#', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
  W: ['#...#', '#...#', '#...#', '#.#.#', '#.#.#', '##.##', '#...#'],
  X: ['#...#', '#...#', '.#.#.', '..#..', '.#.#.', '#...#', '#...#'],
  Y: ['#...#', '#...#', '.#.#.', '..#..', '..#..', '..#..', '..#..'],
  Z: ['#####', '....#', '...#.', '..#..', '.#...', '#....', '#####'],
  '-': ['.....', '.....', '.....', '#####', '.....', '.....', '.....'],
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
};
const UNKNOWN = ['#####', '#...#', '#...#', '#...#', '#...#', '#...#', '#####'];

export interface TestPicture {
  readonly width: number;
  readonly height: number;
  /** a fresh I420 frame stamped with wallClockMs */
  frame(wallClockMs: number): Uint8ClampedArray;
}

/** Luma/chroma of a pleasant colour derived from the label, so units differ at a glance. */
function colourOf(label: string): { y: number; u: number; v: number } {
  let h = 2166136261;
  for (const ch of label) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return { y: 70 + (h % 40), u: 90 + ((h >>> 8) % 80), v: 90 + ((h >>> 16) % 80) };
}

export function createTestPicture(label: string): TestPicture {
  const width = PICTURE_WIDTH;
  const height = PICTURE_HEIGHT;
  const ySize = width * height;
  const cSize = (width / 2) * (height / 2);
  const base = new Uint8ClampedArray(ySize + 2 * cSize);
  const c = colourOf(label);
  base.fill(c.y, 0, ySize);
  base.fill(c.u, ySize, ySize + cSize);
  base.fill(c.v, ySize + cSize);
  // neutral chroma under the stamp rows keeps them pure black/white
  for (let y = 0; y < 2 * BLOCK; y += 2) {
    base.fill(128, ySize + (y / 2) * (width / 2), ySize + (y / 2 + 1) * (width / 2));
    base.fill(128, ySize + cSize + (y / 2) * (width / 2), ySize + cSize + (y / 2 + 1) * (width / 2));
  }
  const text = label.toUpperCase().slice(0, 12);
  const scale = Math.max(4, Math.min(10, Math.floor((width - 40) / (text.length * 6))));
  const x0 = Math.floor((width - text.length * 6 * scale) / 2);
  const y0 = 2 * BLOCK + Math.floor((height - 2 * BLOCK - 7 * scale) / 2);
  for (let i = 0; i < text.length; i++) {
    const glyph = FONT[text[i]!] ?? UNKNOWN;
    for (let gy = 0; gy < 7; gy++) {
      for (let gx = 0; gx < 5; gx++) {
        if (glyph[gy]![gx] !== '#') continue;
        for (let dy = 0; dy < scale; dy++) {
          const row = (y0 + gy * scale + dy) * width;
          base.fill(235, row + x0 + (i * 6 + gx) * scale, row + x0 + (i * 6 + gx + 1) * scale);
        }
      }
    }
  }
  let tick = 0;
  return {
    width,
    height,
    frame(wallClockMs) {
      const f = base.slice();
      const v = BigInt(Math.floor(wallClockMs)) & ((1n << BigInt(STAMP_BITS)) - 1n);
      for (let i = 0; i < STAMP_BITS; i++) {
        const bit = Number((v >> BigInt(STAMP_BITS - 1 - i)) & 1n);
        for (let y = 0; y < BLOCK; y++) {
          f.fill(bit ? 235 : 16, y * width + i * BLOCK, y * width + (i + 1) * BLOCK);
          f.fill(bit ? 16 : 235, (y + BLOCK) * width + i * BLOCK, (y + BLOCK) * width + (i + 1) * BLOCK);
        }
      }
      // a bar sweeping along the bottom: motion that shows the stream is live
      const barX = (tick++ * 8) % width;
      for (let y = height - 12; y < height; y++)
        f.fill(235, y * width + barX, y * width + Math.min(width, barX + 32));
      return f;
    },
  };
}

/**
 * Reads the stamp from a luma plane (stride = width ≥ 640 px picture scaled to `width`). Returns the
 * full epoch ms (upper bits taken from nowMs) or null when the two rows disagree (smeared, scaled
 * beyond reading, or not our picture).
 */
export function readFrameStamp(
  luma: ArrayLike<number>,
  width: number,
  height: number,
  nowMs = Date.now(),
): number | null {
  const block = width / STAMP_BITS;
  if (block < 2 || height < 2 * block) return null;
  let v = 0n;
  for (let i = 0; i < STAMP_BITS; i++) {
    const x = Math.floor((i + 0.5) * block);
    const a = luma[Math.floor(block / 2) * width + x]!;
    const b = luma[Math.floor(block * 1.5) * width + x]!;
    const bit = a > 128 ? 1 : 0;
    if ((b > 128 ? 1 : 0) === bit || Math.abs(a - b) < 60) return null;
    v = (v << 1n) | BigInt(bit);
  }
  const mod = 1n << BigInt(STAMP_BITS);
  const now = BigInt(Math.floor(nowMs));
  let full = (now & ~(mod - 1n)) | v;
  if (full > now + mod / 2n) full -= mod; // stamp from just before a wrap of the low bits
  return Number(full);
}
