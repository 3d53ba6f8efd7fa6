/**
 * The messages between the units layer and its drawing worker (unit-draw-worker.ts), and whether
 * this browser can draw in a worker at all. The worker holds its own copy of the units
 * (unit-mirror.ts): each frame carries only the units changed since the last one.
 */
import type { SlotHits } from './hit-index.ts';
import type { PackView } from './unit-draw-list.ts';
import type { MapPalette } from './unit-glyphs.ts';
import type { UnitChanges } from './unit-mirror.ts';

export type ToDrawWorker =
  | { type: 'palette'; palette: MapPalette; sosText: string }
  | {
      type: 'frame';
      id: number;
      /** the canvas in device pixels */
      width: number;
      height: number;
      dpr: number;
      pulse: boolean;
      /** the units changed since the last frame (all of them after a snapshot or a new worker) */
      changes: UnitChanges;
      /** the layer projection's zoom and pixel origin (spherical Mercator, mercator.ts) */
      zoom: number;
      pixelOrigin: { x: number; y: number };
      /** what to draw of them, and where */
      view: Omit<PackView, 'project'>;
    };

export type FromDrawWorker =
  /** the worker has no 2D context for an OffscreenCanvas: the layer draws on the page instead */
  | { type: 'unsupported' }
  | {
      type: 'drawn';
      id: number;
      bitmap: ImageBitmap;
      /** where the frame's units are, by slot, for hover and click; in effect once the bitmap is shown */
      hits: SlotHits;
      /** layer positions of the emergencies drawn, [x0, y0, x1, y1, …], for the pulse canvas */
      emergencyPoints: number[];
      /** the worker's time for the frame: placing, drawing and rasterizing the units */
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
