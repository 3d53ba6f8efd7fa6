/**
 * The messages between the units layer and its drawing worker (unit-draw-worker.ts), and whether
 * this browser can draw in a worker at all.
 */
import type { DrawListData } from './unit-draw-list.ts';
import type { MapPalette } from './unit-glyphs.ts';

export type ToDrawWorker =
  | { type: 'palette'; palette: MapPalette; sosText: string }
  | ({
      type: 'frame';
      id: number;
      /** the canvas in device pixels */
      width: number;
      height: number;
      dpr: number;
      pulse: boolean;
    } & DrawListData);

export type FromDrawWorker =
  /** the worker has no 2D context for an OffscreenCanvas: the layer draws on the page instead */
  | { type: 'unsupported' }
  | {
      type: 'drawn';
      id: number;
      bitmap: ImageBitmap;
      /** the frame's command buffer, handed back for the next frame */
      commands: Float64Array;
      /** the worker's time for the frame: drawing and rasterizing it into the bitmap */
      ms: number;
    };

/**
 * The layer draws in a worker where the browser has workers, OffscreenCanvas with
 * transferToImageBitmap, and the `bitmaprenderer` context to show the result (Chromium 69+,
 * Firefox 105+, Safari 16.4+); elsewhere on the page, as before. The worker still checks for a 2D
 * context of its own (Safari 16 had OffscreenCanvas without one) and says `unsupported`.
 */
export function canDrawInWorker(scope: {
  Worker?: unknown;
  OffscreenCanvas?: unknown;
  ImageBitmapRenderingContext?: unknown;
}): boolean {
  const offscreen = scope.OffscreenCanvas;
  return (
    typeof scope.Worker === 'function' &&
    typeof offscreen === 'function' &&
    typeof (offscreen.prototype as { transferToImageBitmap?: unknown } | undefined)?.transferToImageBitmap ===
      'function' &&
    typeof scope.ImageBitmapRenderingContext === 'function'
  );
}
