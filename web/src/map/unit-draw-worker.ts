/**
 * The units canvas, drawn off the main thread (issue 17, bench:map). With the GPU off (software
 * raster) a 2D canvas on the page is rasterized on the main thread when the frame is committed, tens
 * of milliseconds for 10,000 units; here the worker draws the packed list (unit-draw-list.ts) onto an
 * OffscreenCanvas, rasterizes it into an ImageBitmap and hands that over. The page shows it in the
 * same task that moves the canvas to where it was drawn for, so units never jump while the map pans.
 */
import { createGlyphSprites, type GlyphSprites } from './glyph-sprites.ts';
import { drawList } from './unit-draw-list.ts';
import type { FromDrawWorker, ToDrawWorker } from './unit-draw-protocol.ts';
import type { Canvas2D, MapPalette } from './unit-glyphs.ts';

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

if (!canvas || !ctx) scope.postMessage({ type: 'unsupported' }, []);

scope.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'palette') {
    palette = msg.palette;
    sosText = msg.sosText;
    sprites = null;
    return;
  }
  if (!canvas || !ctx || !palette) return;
  const started = performance.now();
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
  drawList(ctx, msg, sprites, msg.dpr, palette, sosText, msg.pulse);
  const bitmap = canvas.transferToImageBitmap();
  scope.postMessage(
    { type: 'drawn', id: msg.id, bitmap, commands: msg.commands, ms: performance.now() - started },
    [bitmap, msg.commands.buffer],
  );
};
