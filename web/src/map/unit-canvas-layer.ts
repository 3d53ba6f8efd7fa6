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
 *   allocate (mercator.ts).
 *
 * A class because Leaflet layers own a lifecycle (onAdd/onRemove) that Leaflet calls.
 */
import type { UnitLive } from '@lagebild/protocol';
import * as L from 'leaflet';
import type { LiveStore } from '@/lib/live-store';
import { isOnDuty } from '@/lib/on-duty';
import { perfEnd, perfStart } from '@/lib/perf-marks';
import { freshnessOf } from '@/lib/staleness';
import { labelOf, statusOf, type UnitStatus } from '@/lib/unit-filter';
import { fitCanvas } from './fit-canvas';
import { createGlyphSprites, type GlyphSprites } from './glyph-sprites';
import { createHitIndex } from './hit-index';
import { type LayerProjector, layerProjector } from './mercator';
import { drawEmergencyPulse, drawUnit, drawUnitLabel, HIT_RADIUS, type MapPalette } from './unit-glyphs';

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
/** draw order: least urgent first so the urgent ones end up on top */
const DRAW_ORDER: readonly UnitStatus[] = ['standby', 'display', 'recording', 'emergency'];

/** what the last frame drew: the zoom and the drawn area in layer pixels */
interface Drawn {
  zoom: number;
  left: number;
  top: number;
  right: number;
  bottom: number;
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
  /** glyph centres and radii of the last frame, in layer pixels */
  #hits = createHitIndex(2048);
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
    const canvas = L.DomUtil.create('canvas', 'unit-canvas leaflet-zoom-hide', pane);
    canvas.setAttribute('aria-hidden', 'true');
    this.#canvas = canvas;
    const pulseCanvas = L.DomUtil.create('canvas', 'unit-pulse-canvas leaflet-zoom-hide', pane);
    pulseCanvas.setAttribute('aria-hidden', 'true');
    this.#pulseCanvas = pulseCanvas;
    this.#reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)');
    map.on('moveend zoomend viewreset resize', this.redraw, this);
    map.on('move', this.#onMove, this);
    map.on('mousemove', this.#onMouseMove, this);
    map.on('mouseout', this.#onMouseOut, this);
    map.on('click', this.#onClick, this);
    this.#unsubscribe = this.#opts.store.subscribe(() => this.redraw());
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
    map.off('mousemove', this.#onMouseMove, this);
    map.off('mouseout', this.#onMouseOut, this);
    map.off('click', this.#onClick, this);
    this.#unsubscribe?.();
    if (this.#agingTimer !== null) window.clearInterval(this.#agingTimer);
    this.#agingTimer = null;
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
    this.redraw();
  }

  /** schedules a redraw on the next animation frame (coalesces any number of calls) */
  redraw(): this {
    if (this.#frame === null && this.#map) this.#frame = requestAnimationFrame(() => this.#draw());
    return this;
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
    this.#frame = null;
    const map = this.#map;
    const canvas = this.#canvas;
    if (!map || !canvas) return;
    const size = map.getSize();
    const dpr = window.devicePixelRatio || 1;
    const padding = Math.round(Math.max(size.x, size.y) * PAN_PADDING);
    const ctx = fitCanvas(canvas, map, size, dpr, padding);
    if (!ctx) return;
    // the canvas's top-left corner in layer pixels: canvas x = layer x - originX
    const origin = map.containerPointToLayerPoint([-padding, -padding]);
    const zoom = map.getZoom();
    this.#drawn = {
      zoom,
      left: origin.x,
      top: origin.y,
      right: origin.x + size.x + 2 * padding,
      bottom: origin.y + size.y + 2 * padding,
    };

    const { store, palette, sosText } = this.#opts;
    const sprites = this.#spritesFor(dpr);
    const project = this.#projector(map);
    const serverNow = store.clock.now();
    const selectedId = this.#opts.getSelectedId();
    const hoverId = this.#hoverId;
    const showLabels = zoom >= LABEL_MIN_ZOOM;
    const animate = !this.#reducedMotion?.matches;
    const pulse = animate ? true : null;
    this.#emergencyPoints.length = 0;
    // the drawn area (plus the margin) in degrees: units outside it are skipped before they are projected
    const reach = padding + CULL_MARGIN;
    const nw = map.containerPointToLatLng([-reach, -reach]);
    const se = map.containerPointToLatLng([size.x + reach, size.y + reach]);
    const [south, north, west, east] = [se.lat, nw.lat, nw.lng, se.lng];

    for (const status of DRAW_ORDER) this.#buckets[status].length = 0;
    this.#hits.reset();
    let selected: UnitLive | null = null;
    for (const unit of store.units.values()) {
      // a camera without a shift is not a unit: it is listed as not on duty, not drawn (issue 15)
      const position = unit.position;
      if (!position || !isOnDuty(unit)) continue;
      if (unit.deviceId === selectedId) {
        selected = unit;
        continue;
      }
      const { lat, lng } = position;
      if (lat < south || lat > north || lng < west || lng > east) continue;
      this.#buckets[statusOf(unit)].push(unit);
    }
    const ox = origin.x;
    const oy = origin.y;
    const drawOne = (unit: UnitLive, isSelected: boolean) => {
      const position = unit.position!;
      const lx = project.x(position.lng);
      const ly = project.y(position.lat);
      // on whole device pixels, as Leaflet's rounded layer points were, so sprites are plain copies
      const x = Math.round((lx - ox) * dpr) / dpr;
      const y = Math.round((ly - oy) * dpr) / dpr;
      const freshness = freshnessOf(unit, serverNow);
      const status = statusOf(unit);
      const hovered = unit.deviceId === hoverId;
      const label = isSelected || showLabels || status === 'emergency' ? labelOf(unit) : null;
      let radius: number;
      if (isSelected || hovered || status === 'emergency') {
        if (status === 'emergency') this.#emergencyPoints.push(lx, ly);
        radius = drawUnit(ctx, unit, x, y, {
          freshness,
          selected: isSelected,
          hovered,
          pulse,
          label,
          sosText,
          palette,
        });
      } else {
        const sprite = sprites.get(unit.stage, freshness, unit.headingDeg);
        const image = sprite.image;
        ctx.drawImage(image, x + sprite.dx / dpr, y + sprite.dy / dpr, image.width / dpr, image.height / dpr);
        if (label) drawUnitLabel(ctx, unit, label, x, y, freshness, palette);
        radius = HIT_RADIUS[status];
      }
      this.#hits.add(unit.deviceId, lx, ly, radius);
    };
    for (const status of DRAW_ORDER) for (const unit of this.#buckets[status]) drawOne(unit, false);
    // the selected unit last, so it is never hidden under others
    if (selected?.position) drawOne(selected, true);
    if (animate && this.#emergencyPoints.length > 0) this.#startPulse();
    else this.#clearPulse();
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
