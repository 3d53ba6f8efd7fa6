/**
 * All live units on ONE canvas instead of one DOM marker each: 2,000 markers as DOM nodes make
 * panning stutter. The units canvas is redrawn on the next animation frame after the store changes,
 * not continuously. The emergency pulse runs on a second, mostly empty canvas above it, so an
 * animated emergency costs a handful of circles per frame instead of a redraw of every unit. Clicks
 * and hover are resolved against the positions of the last frame (hit-index.ts), kept in layer
 * pixels, which stay valid while the map pans.
 *
 * What issue 17's bench:map (docs/benchmarks.md § bench:map) found and what answers it:
 * - the cost at 10,000 units was the software rasterization of every unit's paths when the frame is
 *   committed: glyphs are drawn from pre-drawn sprites (glyph-sprites.ts), emergencies, the selected
 *   and the hovered unit still as paths. (Drawing all units of a stage as one path was tried earlier
 *   and was worse.)
 * - panning redrew every unit on every frame: like Leaflet's own vector renderers, the canvas is
 *   larger than the view by PAN_PADDING on each side and moves with the map pane, so a pan is redrawn
 *   only when it ends or once the view leaves the drawn area;
 * - units outside the drawn area are skipped before they are projected, and projection does not
 *   allocate (mercator.ts);
 * - with the sprites, drawing and rasterizing 10,000 units still took the main thread tens of ms per
 *   redraw: a worker draws them (unit-draw-worker.ts) into an ImageBitmap shown on a
 *   `bitmaprenderer` canvas, moved to where it was drawn for in the same task;
 * - choosing and placing 10,000 units (unit-draw-list.ts) still took the main thread ~8 ms per
 *   redraw: the worker keeps its own copy of the units (unit-mirror.ts), fed with the units each
 *   batch changed, places them itself and hands back where they are for hover and click; the page
 *   only forwards the changes. A browser that cannot draws in a worker does all of it on the page.
 *
 * A class because Leaflet layers own a lifecycle (onAdd/onRemove) that Leaflet calls.
 */
import type { UnitLive } from '@lagebild/protocol';
import * as L from 'leaflet';
import type { LiveStore } from '@/lib/live-store';
import { perfEnd, perfMeasure, perfStart } from '@/lib/perf-marks';
import type { UnitStatus } from '@/lib/unit-filter';
import { fitCanvas } from './fit-canvas';
import { createGlyphSprites, type GlyphSprites } from './glyph-sprites';
import { createHitIndex, type HitLookup, hitsOf, NO_HITS } from './hit-index';
import { type LayerProjector, layerProjector } from './mercator';
import { createDrawList, drawList, type PackView, packUnits } from './unit-draw-list';
import { canDrawInWorker, type FromDrawWorker, type ToDrawWorker } from './unit-draw-protocol';
import { drawEmergencyPulse, type MapPalette } from './unit-glyphs';
import { createUnitEncoder } from './unit-mirror';

export interface UnitCanvasLayerOptions {
  store: LiveStore;
  palette: MapPalette;
  sosText: string;
  getSelectedId(): string | null;
  onSelect(deviceId: string): void;
  /** pointer over a unit (or null when it leaves), in container pixels */
  onHover(unit: UnitLive | null, point: L.Point | null): void;
  /** true when another layer (incident pin, pick mode) takes this click */
  claimsClick?(point: L.Point): boolean;
}

/** Labels appear from this zoom on; below it 2,000 labels would be unreadable clutter. */
const LABEL_MIN_ZOOM = 16;
const PULSE_PERIOD_MS = 1400;
const AGING_REDRAW_MS = 2000;
/** the drawn area reaches this share of the view beyond each side (Leaflet's renderers: 0.1) */
const PAN_PADDING = 0.1;
/** units this far (px) outside the drawn area still reach into it (the SOS tag, labels) */
const CULL_MARGIN = 60;

/** what the last frame drew: the zoom and the drawn area in layer pixels */
interface Drawn {
  zoom: number;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** a frame the worker is drawing: where its bitmap goes when it comes back */
interface InFlight {
  id: number;
  zoom: number;
  pixelOrigin: L.Point;
  /** the canvas's top-left corner in layer pixels */
  origin: L.Point;
  cssWidth: number;
  cssHeight: number;
  animate: boolean;
}

export class UnitCanvasLayer extends L.Layer {
  #opts: UnitCanvasLayerOptions;
  #map: L.Map | null = null;
  #canvas: HTMLCanvasElement | null = null;
  #pulseCanvas: HTMLCanvasElement | null = null;
  #frame: number | null = null;
  #pulseFrame: number | null = null;
  #drawn: Drawn | null = null;
  #lastDrawAt = 0;
  /** layer positions of the emergencies drawn in the last frame, [x0, y0, x1, y1, …] */
  #emergencyPoints: number[] = [];
  /** glyph centres and radii of the frame on screen, in layer pixels */
  #hits: HitLookup = NO_HITS;
  /** the page's own, when it draws the units itself */
  #pageHits = createHitIndex(2048);
  #list = createDrawList(2048);
  #worker: Worker | null = null;
  /** slots for the worker's copy of the units, and the units changed since its last frame */
  #encoder = createUnitEncoder();
  #changed: UnitLive[] = [];
  /** the worker must be sent every unit (a snapshot, a new worker) */
  #resend = true;
  #bitmapContext: ImageBitmapRenderingContext | null = null;
  #inFlight: InFlight | null = null;
  /** the store or the view changed while the worker was drawing */
  #dirty = false;
  #frameId = 0;
  #hoverId: string | null = null;
  #sprites: GlyphSprites | null = null;
  #unsubscribe: (() => void) | null = null;
  #reducedMotion: MediaQueryList | null = null;
  /** ages move on even when no message arrives; redraw now and then so fading is visible */
  #agingTimer: number | null = null;
  #buckets: Record<UnitStatus, UnitLive[]> = { standby: [], display: [], recording: [], emergency: [] };

  constructor(options: UnitCanvasLayerOptions) {
    super();
    this.#opts = options;
  }

  override onAdd(map: L.Map): this {
    this.#map = map;
    const pane = map.getPane('units') ?? map.createPane('units');
    pane.style.zIndex = '450';
    pane.style.pointerEvents = 'none';
    const pulseCanvas = L.DomUtil.create('canvas', 'unit-pulse-canvas leaflet-zoom-hide', pane);
    pulseCanvas.setAttribute('aria-hidden', 'true');
    this.#pulseCanvas = pulseCanvas;
    // the units canvas goes below the pulse canvas, drawn in a worker where the browser can
    this.#startDrawing(true);
    this.#reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)');
    map.on('moveend zoomend viewreset resize', this.redraw, this);
    map.on('move', this.#onMove, this);
    map.on('zoomstart', this.#onZoomStart, this);
    map.on('mousemove', this.#onMouseMove, this);
    map.on('mouseout', this.#onMouseOut, this);
    map.on('click', this.#onClick, this);
    this.#unsubscribe = this.#opts.store.subscribeUnits((units) => {
      if (units === null) this.#resend = true;
      // in order, a unit changed twice twice: the worker applies them in turn. Past one entry per
      // unit (no animation frames in a hidden tab) sending every unit is the smaller message.
      if (!this.#resend) for (const unit of units!) this.#changed.push(unit);
      if (this.#changed.length > this.#opts.store.units.size) this.#resend = true;
      if (this.#resend) this.#changed.length = 0;
      this.redraw();
    });
    this.#agingTimer = window.setInterval(() => {
      // batches redraw several times a second; only a quiet map needs this
      if (performance.now() - this.#lastDrawAt >= AGING_REDRAW_MS) this.redraw();
    }, AGING_REDRAW_MS);
    this.redraw();
    return this;
  }

  override onRemove(map: L.Map): this {
    map.off('moveend zoomend viewreset resize', this.redraw, this);
    map.off('move', this.#onMove, this);
    map.off('zoomstart', this.#onZoomStart, this);
    map.off('mousemove', this.#onMouseMove, this);
    map.off('mouseout', this.#onMouseOut, this);
    map.off('click', this.#onClick, this);
    this.#unsubscribe?.();
    if (this.#agingTimer !== null) window.clearInterval(this.#agingTimer);
    this.#agingTimer = null;
    this.#worker?.terminate();
    this.#worker = null;
    this.#bitmapContext = null;
    this.#inFlight = null;
    this.#dirty = false;
    if (this.#frame !== null) cancelAnimationFrame(this.#frame);
    if (this.#pulseFrame !== null) cancelAnimationFrame(this.#pulseFrame);
    this.#frame = null;
    this.#pulseFrame = null;
    this.#canvas?.remove();
    this.#pulseCanvas?.remove();
    this.#canvas = null;
    this.#pulseCanvas = null;
    this.#drawn = null;
    this.#map = null;
    return this;
  }

  setPalette(palette: MapPalette, sosText: string): void {
    this.#opts = { ...this.#opts, palette, sosText };
    this.#sprites = null;
    this.#postPalette();
    this.redraw();
  }

  /** schedules a redraw on the next animation frame (coalesces any number of calls) */
  redraw(): this {
    if (this.#frame === null && this.#map) this.#frame = requestAnimationFrame(() => this.#draw());
    return this;
  }

  /**
   * A zoom makes the drawn units wrong until they are drawn again; Leaflet hides the canvas while it
   * animates, and the worker's next bitmap may come a little after the animation ends: the canvas
   * stays hidden until then (on the page the redraw follows in the same frame, as before).
   */
  #onZoomStart(): void {
    if (this.#worker && this.#canvas) this.#canvas.style.visibility = 'hidden';
  }

  /** while the map moves the canvas moves with it: redraw only once the view leaves the drawn area */
  #onMove(): void {
    const map = this.#map;
    const drawn = this.#drawn;
    if (!map || !drawn) return;
    const topLeft = map.containerPointToLayerPoint([0, 0]);
    const size = map.getSize();
    if (
      map.getZoom() !== drawn.zoom ||
      topLeft.x < drawn.left ||
      topLeft.y < drawn.top ||
      topLeft.x + size.x > drawn.right ||
      topLeft.y + size.y > drawn.bottom
    ) {
      this.redraw();
    }
  }

  #draw(): void {
    this.#frame = null;
    if (this.#inFlight !== null) {
      // one frame at a time in the worker: the newest state is drawn when it hands this one back
      this.#dirty = true;
      return;
    }
    const started = perfStart();
    this.#drawUnits();
    this.#lastDrawAt = performance.now();
    perfEnd('lagebild:units-draw', started);
  }

  #spritesFor(dpr: number): GlyphSprites {
    if (!this.#sprites || this.#sprites.dpr !== dpr)
      this.#sprites = createGlyphSprites(this.#opts.palette, dpr);
    return this.#sprites;
  }

  /**
   * The layer projection of this frame; Leaflet's own for a CRS other than spherical Mercator (all of
   * Leaflet's are cylindrical: x from the longitude, y from the latitude).
   */
  #projector(map: L.Map): LayerProjector {
    if (map.options.crs === L.CRS.EPSG3857) return layerProjector(map.getZoom(), map.getPixelOrigin());
    return {
      x: (lng) => map.latLngToLayerPoint([0, lng]).x,
      y: (lat) => map.latLngToLayerPoint([lat, 0]).y,
    };
  }

  #drawUnits(): void {
    const map = this.#map;
    const canvas = this.#canvas;
    if (!map || !canvas) return;
    const size = map.getSize();
    const dpr = window.devicePixelRatio || 1;
    const padding = Math.round(Math.max(size.x, size.y) * PAN_PADDING);
    // the canvas's top-left corner in layer pixels: canvas x = layer x - originX
    const origin = map.containerPointToLayerPoint([-padding, -padding]);
    const zoom = map.getZoom();
    const cssWidth = size.x + 2 * padding;
    const cssHeight = size.y + 2 * padding;
    this.#drawn = {
      zoom,
      left: origin.x,
      top: origin.y,
      right: origin.x + cssWidth,
      bottom: origin.y + cssHeight,
    };
    const { store, palette, sosText } = this.#opts;
    // the drawn area (plus the margin) in degrees: units outside it are skipped before they are projected
    const reach = padding + CULL_MARGIN;
    const nw = map.containerPointToLatLng([-reach, -reach]);
    const se = map.containerPointToLatLng([size.x + reach, size.y + reach]);
    const view: Omit<PackView, 'project'> = {
      originX: origin.x,
      originY: origin.y,
      dpr,
      south: se.lat,
      north: nw.lat,
      west: nw.lng,
      east: se.lng,
      serverNow: store.clock.now(),
      selectedId: this.#opts.getSelectedId(),
      hoverId: this.#hoverId,
      showLabels: zoom >= LABEL_MIN_ZOOM,
    };
    const animate = !this.#reducedMotion?.matches;
    const worker = this.#worker;
    if (worker) {
      // the worker places the units from its copy: it gets what changed since its last frame
      const changes = this.#resend
        ? this.#encoder.encode(store.units.values(), store.units.size, true)
        : this.#encoder.encode(this.#changed, this.#changed.length, false);
      this.#resend = false;
      this.#changed.length = 0;
      const id = ++this.#frameId;
      const pixelOrigin = map.getPixelOrigin();
      this.#inFlight = { id, zoom, pixelOrigin, origin, cssWidth, cssHeight, animate };
      const message: ToDrawWorker = {
        type: 'frame',
        id,
        width: Math.round(cssWidth * dpr),
        height: Math.round(cssHeight * dpr),
        dpr,
        pulse: animate,
        changes,
        zoom,
        pixelOrigin: { x: pixelOrigin.x, y: pixelOrigin.y },
        view,
      };
      worker.postMessage(message, [changes.data.buffer]);
      return;
    }
    // on the page the list is drawn at once, so the hits are those on screen
    packUnits(
      store.units.values(),
      store.units.size,
      { ...view, project: this.#projector(map) },
      this.#list,
      this.#pageHits.sink,
      this.#buckets,
    );
    this.#hits = this.#pageHits;
    const ctx = fitCanvas(canvas, map, size, dpr, padding);
    if (!ctx) return;
    drawList(ctx, this.#list, this.#spritesFor(dpr), dpr, palette, sosText, animate);
    this.#showEmergencies(this.#list.emergencyPoints, animate);
  }

  #showEmergencies(points: readonly number[], animate: boolean): void {
    this.#emergencyPoints.length = 0;
    this.#emergencyPoints.push(...points);
    if (animate && this.#emergencyPoints.length > 0) this.#startPulse();
    else this.#clearPulse();
  }

  /** the worker's bitmap of a frame: shown where it was drawn for, unless the zoom moved on */
  #onWorkerMessage(e: MessageEvent<FromDrawWorker>): void {
    const msg = e.data;
    if (msg.type === 'unsupported') {
      this.#startDrawing(false);
      return;
    }
    const frame = this.#inFlight;
    if (!frame || frame.id !== msg.id) {
      msg.bitmap.close();
      return;
    }
    this.#inFlight = null;
    perfMeasure('lagebild:units-raster', msg.ms);
    const map = this.#map;
    const canvas = this.#canvas;
    const pixelOrigin = map?.getPixelOrigin();
    if (
      !map ||
      !canvas ||
      !this.#bitmapContext ||
      map.getZoom() !== frame.zoom ||
      !pixelOrigin?.equals(frame.pixelOrigin)
    ) {
      // drawn for a view that is gone (a zoom, a reset): the next frame is already asked for
      msg.bitmap.close();
    } else {
      if (canvas.width !== msg.bitmap.width || canvas.height !== msg.bitmap.height) {
        canvas.width = msg.bitmap.width;
        canvas.height = msg.bitmap.height;
      }
      canvas.style.width = `${frame.cssWidth}px`;
      canvas.style.height = `${frame.cssHeight}px`;
      this.#bitmapContext.transferFromImageBitmap(msg.bitmap);
      L.DomUtil.setPosition(canvas, frame.origin);
      canvas.style.visibility = '';
      this.#hits = hitsOf(msg.hits, this.#encoder.idOf);
      this.#showEmergencies(msg.emergencyPoints, frame.animate);
    }
    if (this.#dirty) {
      this.#dirty = false;
      this.redraw();
    }
  }

  /**
   * Draws in a worker (true) where the browser can, or on the page. Either way the layer's canvas is
   * a new element: one that gave a `bitmaprenderer` context cannot give a 2D one, and the reverse.
   */
  #startDrawing(wanted: boolean): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#bitmapContext = null;
    this.#inFlight = null;
    this.#dirty = false;
    const pane = this.#map?.getPane('units');
    if (!pane) return;
    this.#canvas?.remove();
    const canvas = L.DomUtil.create('canvas', 'unit-canvas leaflet-zoom-hide');
    canvas.setAttribute('aria-hidden', 'true');
    pane.insertBefore(canvas, this.#pulseCanvas);
    this.#canvas = canvas;
    // where the units are drawn, for the e2e specs and a look in the developer tools
    canvas.dataset.drawing = 'page';
    // the worker projects with spherical Mercator (mercator.ts): another CRS draws on the page
    if (wanted && canDrawInWorker(window) && this.#map?.options.crs === L.CRS.EPSG3857) {
      try {
        const worker = new Worker(new URL('./unit-draw-worker.ts', import.meta.url), { type: 'module' });
        const context = canvas.getContext('bitmaprenderer');
        if (context) {
          worker.onmessage = (e: MessageEvent<FromDrawWorker>) => this.#onWorkerMessage(e);
          // a worker that cannot load (blocked, a network error) leaves the drawing to the page
          worker.onerror = () => this.#startDrawing(false);
          this.#worker = worker;
          this.#bitmapContext = context;
          this.#resend = true;
          this.#changed.length = 0;
          canvas.dataset.drawing = 'worker';
          this.#postPalette();
        } else {
          worker.terminate();
          this.#startDrawing(false);
          return;
        }
      } catch {
        this.#startDrawing(false);
        return;
      }
    }
    this.redraw();
  }

  #postPalette(): void {
    const message: ToDrawWorker = {
      type: 'palette',
      palette: this.#opts.palette,
      sosText: this.#opts.sosText,
    };
    this.#worker?.postMessage(message);
  }

  #startPulse(): void {
    if (this.#pulseFrame === null) this.#pulseFrame = requestAnimationFrame(() => this.#drawPulse());
  }

  #clearPulse(): void {
    const canvas = this.#pulseCanvas;
    if (canvas) canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);
  }

  #drawPulse(): void {
    this.#pulseFrame = null;
    const map = this.#map;
    const canvas = this.#pulseCanvas;
    if (!map || !canvas || this.#emergencyPoints.length === 0) return;
    const size = map.getSize();
    const ctx = fitCanvas(canvas, map, size, window.devicePixelRatio || 1);
    if (!ctx) return;
    const phase = (performance.now() % PULSE_PERIOD_MS) / PULSE_PERIOD_MS;
    const origin = map.containerPointToLayerPoint([0, 0]);
    const points = this.#emergencyPoints;
    for (let i = 0; i + 1 < points.length; i += 2) {
      const x = (points[i] ?? 0) - origin.x;
      const y = (points[i + 1] ?? 0) - origin.y;
      drawEmergencyPulse(ctx, x, y, phase, this.#opts.palette);
    }
    this.#startPulse();
  }

  #onMouseMove(e: L.LeafletMouseEvent): void {
    const id = this.#hits.find(e.layerPoint.x, e.layerPoint.y);
    const container = this.#map?.getContainer();
    if (container) container.classList.toggle('unit-hover', id !== null);
    if (id !== this.#hoverId) {
      this.#hoverId = id;
      this.redraw();
    }
    this.#opts.onHover(id ? (this.#opts.store.units.get(id) ?? null) : null, id ? e.containerPoint : null);
  }

  #onMouseOut(): void {
    if (this.#hoverId !== null) {
      this.#hoverId = null;
      this.redraw();
    }
    this.#opts.onHover(null, null);
  }

  #onClick(e: L.LeafletMouseEvent): void {
    if (this.#opts.claimsClick?.(e.containerPoint)) return;
    const id = this.#hits.find(e.layerPoint.x, e.layerPoint.y);
    if (id) this.#opts.onSelect(id);
  }
}
