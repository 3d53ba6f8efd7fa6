/**
 * Incidents and backup on the map, on two canvases around the units canvas (units pane z 450):
 *   below (z 440): a dashed line from each unit with an accepted / en-route request to its incident,
 *     a dashed ring around that unit ("en route") or a double ring ("on scene");
 *   above (z 460): the incident marker, a pin whose tip is on the location with a tag
 *     "P1 2026-0042" beside it. A manual incident without a unit also gets a crosshair at its point.
 * Shapes differ from every unit glyph, and the colours come from the theme like the units' do.
 * A unit incident's location follows the unit's live position (incidentLocation).
 *
 * Redrawn on the next animation frame after either store changes or the map moves. Clicks on a pin
 * are answered by `hitTest`, which the map asks before the units layer handles a click.
 */
import type { Incident } from '@lagebild/protocol';
import * as L from 'leaflet';
import { incidentLocation } from '@/lib/dispatch-view';
import type { IncidentStore } from '@/lib/incident-store';
import type { LiveStore } from '@/lib/live-store';
import { fitCanvas } from './fit-canvas';
import { createHitIndex } from './hit-index';

export interface IncidentPalette {
  incident: string;
  onIncident: string;
  enRoute: string;
  onScene: string;
  outline: string;
  tagBg: string;
  selection: string;
}

const CSS_VARS: Record<keyof IncidentPalette, string> = {
  incident: '--incident',
  onIncident: '--on-incident',
  enRoute: '--backup-en-route',
  onScene: '--backup-on-scene',
  outline: '--map-glyph-outline',
  tagBg: '--surface',
  selection: '--map-selection',
};

export function readIncidentPalette(element: Element = document.documentElement): IncidentPalette {
  const style = getComputedStyle(element);
  const palette = {} as IncidentPalette;
  for (const key of Object.keys(CSS_VARS) as (keyof IncidentPalette)[]) {
    palette[key] = style.getPropertyValue(CSS_VARS[key]).trim() || '#888';
  }
  return palette;
}

export interface IncidentCanvasLayerOptions {
  incidents: IncidentStore;
  live: LiveStore;
  palette: IncidentPalette;
  getSelectedId(): string | null;
}

/** pin tip on the location, pin head this far up-left, tag to the right of the head */
const PIN_DX = -34;
const PIN_DY = -26;

export class IncidentCanvasLayer extends L.Layer {
  #opts: IncidentCanvasLayerOptions;
  #map: L.Map | null = null;
  #under: HTMLCanvasElement | null = null;
  #over: HTMLCanvasElement | null = null;
  #frame: number | null = null;
  #hits = createHitIndex(64);
  #unsubscribe: (() => void)[] = [];
  /** both canvases are clear (nothing was drawn since they were last cleared) */
  #blank = false;

  constructor(options: IncidentCanvasLayerOptions) {
    super();
    this.#opts = options;
  }

  override onAdd(map: L.Map): this {
    this.#map = map;
    const under = map.getPane('incidents-under') ?? map.createPane('incidents-under');
    under.style.zIndex = '440';
    under.style.pointerEvents = 'none';
    const over = map.getPane('incidents-over') ?? map.createPane('incidents-over');
    over.style.zIndex = '460';
    over.style.pointerEvents = 'none';
    this.#under = L.DomUtil.create('canvas', 'incident-canvas-under leaflet-zoom-hide', under);
    this.#over = L.DomUtil.create('canvas', 'incident-canvas leaflet-zoom-hide', over);
    this.#under.setAttribute('aria-hidden', 'true');
    this.#over.setAttribute('aria-hidden', 'true');
    this.#blank = false;
    map.on('move zoomend viewreset resize', this.redraw, this);
    map.on('mousemove', this.#onMouseMove, this);
    this.#unsubscribe = [
      this.#opts.incidents.subscribe(() => this.redraw()),
      this.#opts.live.subscribe(() => this.redraw()),
    ];
    this.redraw();
    return this;
  }

  override onRemove(map: L.Map): this {
    map.off('move zoomend viewreset resize', this.redraw, this);
    map.off('mousemove', this.#onMouseMove, this);
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
    if (this.#frame !== null) cancelAnimationFrame(this.#frame);
    this.#frame = null;
    this.#under?.remove();
    this.#over?.remove();
    this.#under = null;
    this.#over = null;
    this.#map = null;
    return this;
  }

  setPalette(palette: IncidentPalette): void {
    this.#opts = { ...this.#opts, palette };
    this.redraw();
  }

  redraw(): this {
    if (this.#frame === null && this.#map) this.#frame = requestAnimationFrame(() => this.#draw());
    return this;
  }

  /** the incident whose pin is under this container point, if any */
  hitTest(point: L.Point): string | null {
    return this.#hits.find(point.x, point.y);
  }

  #onMouseMove(e: L.LeafletMouseEvent): void {
    this.#map?.getContainer().classList.toggle('incident-hover', this.hitTest(e.containerPoint) !== null);
  }

  #draw(): void {
    this.#frame = null;
    const map = this.#map;
    if (!map || !this.#under || !this.#over) return;
    // most of the time there is nothing to draw: leave the empty canvases alone instead of clearing
    // two view-sized canvases (and having them composited again) on every status batch (issue 17)
    const empty = this.#opts.incidents.incidents.size === 0 && this.#opts.incidents.requests.size === 0;
    if (empty && this.#blank) return;
    this.#blank = empty;
    const size = map.getSize();
    const dpr = window.devicePixelRatio || 1;
    const under = fitCanvas(this.#under, map, size, dpr);
    const over = fitCanvas(this.#over, map, size, dpr);
    if (!under || !over) return;
    const { incidents, live, palette: p } = this.#opts;
    const selectedId = this.#opts.getSelectedId();
    this.#hits.reset();

    const points = new Map<string, L.Point>();
    for (const incident of incidents.incidents.values()) {
      const at = incidentLocation(incident, live.units);
      if (at) points.set(incident.id, map.latLngToContainerPoint([at.lat, at.lng]));
    }

    // backup: lines and unit decorations, below the units
    for (const request of incidents.requests.values()) {
      const decoration =
        request.state === 'accepted' || request.state === 'en_route'
          ? 'en_route'
          : request.state === 'on_scene'
            ? 'on_scene'
            : null;
      if (!decoration) continue;
      const position = live.units.get(request.deviceId)?.position;
      if (!position) continue;
      const from = map.latLngToContainerPoint([position.lat, position.lng]);
      const to = points.get(request.incidentId);
      if (to && decoration === 'en_route') drawRoute(under, from, to, p);
      drawDecoration(under, from, decoration, p);
    }

    // incident markers, above the units; the selected one last (on top)
    const ordered = [...incidents.incidents.values()].sort(
      (a, b) => Number(a.id === selectedId) - Number(b.id === selectedId) || b.priority - a.priority,
    );
    for (const incident of ordered) {
      const point = points.get(incident.id);
      if (!point) continue;
      if (point.x < -200 || point.y < -100 || point.x > size.x + 100 || point.y > size.y + 100) continue;
      const tag = drawPin(over, incident, point, incident.id === selectedId, p);
      this.#hits.add(incident.id, tag.x, tag.y, tag.r);
    }
  }
}

function drawRoute(ctx: CanvasRenderingContext2D, from: L.Point, to: L.Point, p: IncidentPalette): void {
  ctx.save();
  ctx.lineCap = 'round';
  ctx.setLineDash([10, 7]);
  ctx.lineWidth = 6;
  ctx.strokeStyle = p.outline;
  ctx.beginPath();
  ctx.moveTo(from.x, from.y);
  ctx.lineTo(to.x, to.y);
  ctx.stroke();
  ctx.lineWidth = 3;
  ctx.strokeStyle = p.enRoute;
  ctx.stroke();
  ctx.restore();
}

/** en route: dashed ring with a small arrow head; on scene: solid double ring */
function drawDecoration(
  ctx: CanvasRenderingContext2D,
  at: L.Point,
  kind: 'en_route' | 'on_scene',
  p: IncidentPalette,
): void {
  ctx.save();
  const color = kind === 'en_route' ? p.enRoute : p.onScene;
  ctx.lineWidth = 3.5;
  ctx.strokeStyle = color;
  if (kind === 'en_route') {
    ctx.setLineDash([5, 4]);
    ctx.beginPath();
    ctx.arc(at.x, at.y, 20, 0, Math.PI * 2);
    ctx.stroke();
  } else {
    ctx.beginPath();
    ctx.arc(at.x, at.y, 19, 0, Math.PI * 2);
    ctx.stroke();
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(at.x, at.y, 24, 0, Math.PI * 2);
    ctx.stroke();
  }
  ctx.restore();
}

/** Draws the pin and its tag; returns the hit circle of the pin head. */
function drawPin(
  ctx: CanvasRenderingContext2D,
  incident: Incident,
  at: L.Point,
  selected: boolean,
  p: IncidentPalette,
): { x: number; y: number; r: number } {
  const hx = at.x + PIN_DX;
  const hy = at.y + PIN_DY;
  ctx.save();
  if (incident.unitId === null) {
    // a point without a unit: a crosshair marks the exact spot
    ctx.lineWidth = 2;
    ctx.strokeStyle = p.incident;
    ctx.beginPath();
    ctx.arc(at.x, at.y, 8, 0, Math.PI * 2);
    ctx.moveTo(at.x - 13, at.y);
    ctx.lineTo(at.x + 13, at.y);
    ctx.moveTo(at.x, at.y - 13);
    ctx.lineTo(at.x, at.y + 13);
    ctx.stroke();
  }
  ctx.globalAlpha = incident.status === 'closed' ? 0.45 : 1;
  // leader from the head to the exact location
  ctx.lineWidth = 4;
  ctx.strokeStyle = p.outline;
  ctx.beginPath();
  ctx.moveTo(hx, hy);
  ctx.lineTo(at.x, at.y);
  ctx.stroke();
  ctx.lineWidth = 2;
  ctx.strokeStyle = p.incident;
  ctx.stroke();
  // the pin head: a teardrop pointing at the location
  const angle = Math.atan2(at.y - hy, at.x - hx);
  ctx.beginPath();
  ctx.arc(hx, hy, 11, angle + 0.9, angle - 0.9 + Math.PI * 2);
  ctx.lineTo(hx + Math.cos(angle) * 19, hy + Math.sin(angle) * 19);
  ctx.closePath();
  ctx.fillStyle = p.incident;
  ctx.fill();
  ctx.lineWidth = 2;
  ctx.strokeStyle = p.outline;
  ctx.stroke();
  ctx.fillStyle = p.onIncident;
  ctx.font = '800 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(`P${incident.priority}`, hx, hy + 0.5);

  // the tag with the number, to the left of the head (units' labels are on their right)
  const text = incident.number;
  ctx.font = '700 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  const width = ctx.measureText(text).width + 12;
  const tx = hx - 14 - width;
  const ty = hy - 10;
  ctx.beginPath();
  ctx.roundRect(tx, ty, width, 20, 4);
  ctx.fillStyle = p.tagBg;
  ctx.fill();
  ctx.lineWidth = selected ? 3 : 1.5;
  ctx.strokeStyle = selected ? p.selection : p.incident;
  ctx.stroke();
  ctx.fillStyle = p.incident;
  ctx.textAlign = 'left';
  ctx.fillText(text, tx + 6, ty + 10.5);
  if (selected) {
    ctx.beginPath();
    ctx.arc(hx, hy, 16, 0, Math.PI * 2);
    ctx.lineWidth = 3;
    ctx.strokeStyle = p.selection;
    ctx.stroke();
  }
  ctx.restore();
  return { x: hx, y: hy, r: 16 };
}
