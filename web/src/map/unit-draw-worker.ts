/**
 * The units canvas, drawn off the main thread (issue 17, bench:map). With the GPU off (software
 * raster) a 2D canvas on the page is rasterized on the main thread when the frame is committed, tens
 * of milliseconds for 10,000 units; here the worker keeps its own copy of the units (unit-mirror.ts,
 * fed with each frame's changes), chooses and places those in view (unit-draw-list.ts), draws them
 * onto an OffscreenCanvas, rasterizes it into an ImageBitmap and hands that over with where each unit
 * is (for hover and click). The page shows it in the same task that moves the canvas to where it was
 * drawn for, so units never jump while the map pans.
 */
import { createGlyphSprites, type GlyphSprites } from './glyph-sprites.ts';
import { createSlotHits } from './hit-index.ts';
import { layerProjector } from './mercator.ts';
import { createDrawList, drawList, packUnits } from './unit-draw-list.ts';
import type { FromDrawWorker, ToDrawWorker } from './unit-draw-protocol.ts';
import type { Canvas2D, MapPalette } from './unit-glyphs.ts';
import { createUnitMirror, type MirrorUnit } from './unit-mirror.ts';

interface WorkerScope {
  onmessage: ((e: MessageEvent<ToDrawWorker>) => void) | null;
  postMessage(message: FromDrawWorker, transfer: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

const canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(1, 1) : null;
const ctx = (canvas?.getContext('2d') ?? null) as Canvas2D | null;
let palette: MapPalette | null = null;
let sosText = '';
let sprites: GlyphSprites<OffscreenCanvas> | null = null;
const mirror = createUnitMirror();
const list = createDrawList(2048);
const hits = createSlotHits(2048);
const buckets: Record<MirrorUnit['stage'] | 'emergency', MirrorUnit[]> = {
  standby: [],
  display: [],
  recording: [],
  emergency: [],
};

if (!canvas || !ctx) scope.postMessage({ type: 'unsupported' }, []);

scope.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'palette') {
    palette = msg.palette;
    sosText = msg.sosText;
    sprites = null;
    return;
  }
  const started = performance.now();
  mirror.apply(msg.changes);
  if (!canvas || !ctx || !palette) return;
  packUnits<MirrorUnit>(
    mirror.units(),
    mirror.size,
    { ...msg.view, project: layerProjector(msg.zoom, msg.pixelOrigin) },
    list,
    hits,
    buckets,
  );
  if (canvas.width !== msg.width || canvas.height !== msg.height) {
    canvas.width = msg.width;
    canvas.height = msg.height;
  }
  if (!sprites || sprites.dpr !== msg.dpr) {
    sprites = createGlyphSprites(palette, msg.dpr, () => new OffscreenCanvas(1, 1));
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.setTransform(msg.dpr, 0, 0, msg.dpr, 0, 0);
  drawList(ctx, list, sprites, msg.dpr, palette, sosText, msg.pulse);
  const bitmap = canvas.transferToImageBitmap();
  const frameHits = hits.take();
  scope.postMessage(
    {
      type: 'drawn',
      id: msg.id,
      bitmap,
      hits: frameHits,
      emergencyPoints: [...list.emergencyPoints],
      ms: performance.now() - started,
    },
    [bitmap, frameHits.xs.buffer, frameHits.ys.buffer, frameHits.rs.buffer, frameHits.slots.buffer],
  );
};
