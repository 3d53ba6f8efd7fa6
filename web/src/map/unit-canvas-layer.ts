/**
 * All live units on ONE canvas instead of one DOM marker each: 2,000 markers as DOM nodes make
 * panning stutter, a canvas redraw of 2,000 glyphs takes a few milliseconds. The units canvas is
 * redrawn on the next animation frame after the store changes or the map moves, not continuously.
 * The emergency pulse runs on a second, mostly empty canvas above it, so an animated emergency costs
 * a handful of circles per frame instead of a redraw of every unit. Clicks and hover are resolved
 * against the positions of the last frame (hit-index.ts). Units outside the view are skipped before
 * they are projected (issue 17, bench:map). Drawing all units of a stage as one path was tried and
 * measured worse: fewer canvas calls, but the software rasterizer took ~2.5× longer per frame at the
 * compositor commit, which is where the time goes at 10,000 units (docs/benchmarks.md § bench:map).
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
import { createHitIndex } from './hit-index';
import { drawEmergencyPulse, drawUnit, type MapPalette } from './unit-glyphs';

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
/** draw order: least urgent first so the urgent ones end up on top */
const DRAW_ORDER: readonly UnitStatus[] = ['standby', 'display', 'recording', 'emergency'];

export class UnitCanvasLayer extends L.Layer {
  #opts: UnitCanvasLayerOptions;
  #map: L.Map | null = null;
  #canvas: HTMLCanvasElement | null = null;
  #pulseCanvas: HTMLCanvasElement | null = null;
  #frame: number | null = null;
  #pulseFrame: number | null = null;
  /** container positions of the emergencies drawn in the last frame, [x0, y0, x1, y1, …] */
  #emergencyPoints: number[] = [];
  #hits = createHitIndex(2048);
  #hoverId: string | null = null;
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
    map.on('move zoomend viewreset resize', this.redraw, this);
    map.on('mousemove', this.#onMouseMove, this);
    map.on('mouseout', this.#onMouseOut, this);
    map.on('click', this.#onClick, this);
    this.#unsubscribe = this.#opts.store.subscribe(() => this.redraw());
    this.#agingTimer = window.setInterval(() => this.redraw(), AGING_REDRAW_MS);
    this.redraw();
    return this;
  }

  override onRemove(map: L.Map): this {
    map.off('move zoomend viewreset resize', this.redraw, this);
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
    this.#map = null;
    return this;
  }

  setPalette(palette: MapPalette, sosText: string): void {
    this.#opts = { ...this.#opts, palette, sosText };
    this.redraw();
  }

  /** schedules a redraw on the next animation frame (coalesces any number of calls) */
  redraw(): this {
    if (this.#frame === null && this.#map) this.#frame = requestAnimationFrame(() => this.#draw());
    return this;
  }

  #draw(): void {
    const started = perfStart();
    this.#drawUnits();
    perfEnd('lagebild:units-draw', started);
  }

  #drawUnits(): void {
    this.#frame = null;
    const map = this.#map;
    const canvas = this.#canvas;
    if (!map || !canvas) return;
    const size = map.getSize();
    const dpr = window.devicePixelRatio || 1;
    const ctx = fitCanvas(canvas, map, size, dpr);
    if (!ctx) return;

    const { store, palette, sosText } = this.#opts;
    const serverNow = store.clock.now();
    const selectedId = this.#opts.getSelectedId();
    const hoverId = this.#hoverId;
    const showLabels = map.getZoom() >= LABEL_MIN_ZOOM;
    const animate = !this.#reducedMotion?.matches;
    const pulse = animate ? true : null;
    const margin = 60;
    this.#emergencyPoints.length = 0;
    // the view (plus the margin) in degrees: units outside it are skipped before they are projected
    const nw = map.containerPointToLatLng([-margin, -margin]);
    const se = map.containerPointToLatLng([size.x + margin, size.y + margin]);
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
    for (const unit of DRAW_ORDER.flatMap((status) => this.#buckets[status])) {
      const status = statusOf(unit);
      const position = unit.position!;
      const point = map.latLngToContainerPoint([position.lat, position.lng]);
      if (status === 'emergency') this.#emergencyPoints.push(point.x, point.y);
      const radius = drawUnit(ctx, unit, point.x, point.y, {
        freshness: freshnessOf(unit, serverNow),
        selected: false,
        hovered: unit.deviceId === hoverId,
        pulse,
        label: showLabels || status === 'emergency' ? labelOf(unit) : null,
        sosText,
        palette,
      });
      this.#hits.add(unit.deviceId, point.x, point.y, radius);
    }
    if (selected?.position) {
      // the selected unit last, so it is never hidden under others
      const point = map.latLngToContainerPoint([selected.position.lat, selected.position.lng]);
      if (statusOf(selected) === 'emergency') this.#emergencyPoints.push(point.x, point.y);
      const radius = drawUnit(ctx, selected, point.x, point.y, {
        freshness: freshnessOf(selected, serverNow),
        selected: true,
        hovered: selected.deviceId === hoverId,
        pulse,
        label: labelOf(selected),
        sosText,
        palette,
      });
      this.#hits.add(selected.deviceId, point.x, point.y, radius);
    }
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
    const points = this.#emergencyPoints;
    for (let i = 0; i + 1 < points.length; i += 2) {
      drawEmergencyPulse(ctx, points[i] ?? 0, points[i + 1] ?? 0, phase, this.#opts.palette);
    }
    this.#startPulse();
  }

  #onMouseMove(e: L.LeafletMouseEvent): void {
    const id = this.#hits.find(e.containerPoint.x, e.containerPoint.y);
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
    const id = this.#hits.find(e.containerPoint.x, e.containerPoint.y);
    if (id) this.#opts.onSelect(id);
  }
}
