'use client';
/**
 * The Leaflet map: optional tiles from /api/me, a grid underneath, all units on one canvas layer,
 * a scale bar, a hover tooltip and a legend. Loaded with next/dynamic (ssr: false) because Leaflet
 * needs `window`.
 */
import 'leaflet/dist/leaflet.css';
import type { LatLng, MeResponse, UnitLive } from '@lagebild/protocol';
import * as L from 'leaflet';
import { useEffect, useRef } from 'react';
import { usePreferences } from '@/components/preferences-provider';
import type { IncidentStore } from '@/lib/incident-store';
import type { LiveStore } from '@/lib/live-store';
import { freshnessOf } from '@/lib/staleness';
import { labelOf, statusOf } from '@/lib/unit-filter';
import { GridLayer } from './grid-layer';
import { IncidentCanvasLayer, readIncidentPalette } from './incident-canvas-layer';
import { MapLegend } from './map-legend';
import { PickToolbar } from './pick-toolbar';
import { UnitCanvasLayer } from './unit-canvas-layer';
import { readPalette } from './unit-glyphs';

export type FocusRequest = (
  | { deviceId: string }
  /** a place, e.g. an incident's location */
  | { point: LatLng }
) & {
  /** increments on every request so asking twice for the same unit pans again */
  nonce: number;
};

export interface LiveMapProps {
  me: MeResponse;
  store: LiveStore;
  selectedId: string | null;
  focus: FocusRequest | null;
  onSelect(deviceId: string): void;
  /** incidents and backup (issue 7); without it the map shows units only */
  incidents?: IncidentStore;
  selectedIncidentId?: string | null;
  onSelectIncident?(incidentId: string): void;
  /** map pick mode: the next click (or "use map centre") opens an incident there */
  picking?: boolean;
  onPickingChange?(picking: boolean): void;
  onPick?(point: LatLng): void;
}

/** Tiles failing this often before one loads means there is no tile server for us: drop the layer. */
const TILE_ERRORS_BEFORE_FALLBACK = 6;
const FOCUS_MIN_ZOOM = 15;

export default function LiveMap({
  me,
  store,
  selectedId,
  focus,
  onSelect,
  incidents,
  selectedIncidentId = null,
  onSelectIncident,
  picking = false,
  onPickingChange,
  onPick,
}: LiveMapProps) {
  const { t, theme, lang } = usePreferences();
  const containerRef = useRef<HTMLDivElement>(null);
  const tooltipRef = useRef<HTMLDivElement>(null);
  const mapRef = useRef<L.Map | null>(null);
  const unitsRef = useRef<UnitCanvasLayer | null>(null);
  const gridRef = useRef<GridLayer | null>(null);
  const incidentsRef = useRef<IncidentCanvasLayer | null>(null);
  const selectedIncidentRef = useRef(selectedIncidentId);
  const pickingRef = useRef(picking);
  const onPickRef = useRef(onPick);
  const onSelectIncidentRef = useRef(onSelectIncident);
  selectedIncidentRef.current = selectedIncidentId;
  pickingRef.current = picking;
  onPickRef.current = onPick;
  onSelectIncidentRef.current = onSelectIncident;
  const selectedRef = useRef(selectedId);
  const onSelectRef = useRef(onSelect);
  const tRef = useRef(t);
  selectedRef.current = selectedId;
  onSelectRef.current = onSelect;
  tRef.current = t;

  // create the map once per mount
  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const { tenant } = me.user;
    const map = L.map(container, {
      center: [tenant.center.lat, tenant.center.lng],
      zoom: tenant.zoom,
      minZoom: 5,
      maxZoom: 19,
      zoomControl: true,
      attributionControl: true,
      keyboard: true,
      preferCanvas: true,
    });
    map.attributionControl.setPrefix(false);
    L.control.scale({ metric: true, imperial: false, position: 'bottomright' }).addTo(map);

    const palette = readPalette();
    const grid = new GridLayer(palette).addTo(map);
    gridRef.current = grid;

    if (me.map.tileUrl) {
      let loaded = 0;
      let failed = 0;
      const tiles = L.tileLayer(me.map.tileUrl, {
        attribution: me.map.attribution,
        maxZoom: 19,
        className: 'map-tiles',
      });
      tiles.on('tileload', () => {
        loaded += 1;
      });
      tiles.on('tileerror', () => {
        failed += 1;
        if (loaded === 0 && failed >= TILE_ERRORS_BEFORE_FALLBACK) map.removeLayer(tiles);
      });
      tiles.addTo(map);
    }

    const units = new UnitCanvasLayer({
      store,
      palette,
      sosText: tRef.current('map.sos'),
      getSelectedId: () => selectedRef.current,
      onSelect: (id) => onSelectRef.current(id),
      onHover: (unit, point) => showTooltip(tooltipRef.current, unit, point),
      claimsClick: (point) => pickingRef.current || (incidentsRef.current?.hitTest(point) ?? null) !== null,
    }).addTo(map);
    if (incidents) {
      incidentsRef.current = new IncidentCanvasLayer({
        incidents,
        live: store,
        palette: readIncidentPalette(),
        getSelectedId: () => selectedIncidentRef.current,
      }).addTo(map);
      map.on('click', (e: L.LeafletMouseEvent) => {
        if (pickingRef.current) {
          onPickRef.current?.({ lat: e.latlng.lat, lng: e.latlng.lng });
          return;
        }
        const id = incidentsRef.current?.hitTest(e.containerPoint);
        if (id) onSelectIncidentRef.current?.(id);
      });
    }
    unitsRef.current = units;
    mapRef.current = map;

    function showTooltip(el: HTMLDivElement | null, unit: UnitLive | null, point: L.Point | null): void {
      if (!el) return;
      if (!unit || !point) {
        el.hidden = true;
        return;
      }
      const tr = tRef.current;
      const freshness = freshnessOf(unit, store.clock.now());
      const state = tr(`stage.${statusOf(unit)}`);
      el.textContent = `${labelOf(unit)} · ${state}${freshness === 'fresh' ? '' : ` · ${tr(`stage.${freshness}`)}`}`;
      el.style.transform = `translate(${Math.round(point.x + 16)}px, ${Math.round(point.y - 12)}px)`;
      el.hidden = false;
    }

    const container_ = map.getContainer();
    container_.setAttribute('role', 'region');
    container_.setAttribute('aria-roledescription', 'map');

    // Leaflet measures its container on window resizes only; a banner above the map (degraded
    // operation) or a panel beside it resizes the container alone, and without this the map kept
    // the old size: "show on map" centred units off the middle, the pointer missed drawn units.
    const resized = new ResizeObserver(() => map.invalidateSize({ pan: false }));
    resized.observe(container_);

    return () => {
      resized.disconnect();
      map.remove();
      mapRef.current = null;
      unitsRef.current = null;
      gridRef.current = null;
      incidentsRef.current = null;
    };
  }, [me, store, incidents]);

  // theme or language changed: new colours and texts for canvas and grid
  useEffect(() => {
    void theme;
    void lang;
    const palette = readPalette();
    unitsRef.current?.setPalette(palette, t('map.sos'));
    gridRef.current?.setPalette(palette);
    incidentsRef.current?.setPalette(readIncidentPalette());
    mapRef.current?.getContainer().setAttribute('aria-label', t('map.label'));
  }, [theme, lang, t]);

  useEffect(() => {
    void selectedId;
    unitsRef.current?.redraw();
  }, [selectedId]);

  useEffect(() => {
    void selectedIncidentId;
    incidentsRef.current?.redraw();
  }, [selectedIncidentId]);

  useEffect(() => {
    mapRef.current?.getContainer().classList.toggle('pick-mode', picking);
  }, [picking]);

  // pan to a unit when asked (list click, Enter, "show on map")
  useEffect(() => {
    const map = mapRef.current;
    if (!focus || !map) return;
    const position = 'point' in focus ? focus.point : store.units.get(focus.deviceId)?.position;
    if (!position) return;
    const target = L.latLng(position.lat, position.lng);
    if (map.getZoom() < FOCUS_MIN_ZOOM) map.setView(target, FOCUS_MIN_ZOOM, { animate: true });
    else map.panTo(target, { animate: true });
  }, [focus, store]);

  return (
    <div className="live-map">
      <div ref={containerRef} className="live-map-canvas" />
      <div ref={tooltipRef} className="map-tooltip" hidden aria-hidden="true" />
      {incidents && onPickingChange && (
        <PickToolbar
          picking={picking}
          onPickingChange={onPickingChange}
          onUseCentre={() => {
            const centre = mapRef.current?.getCenter();
            if (centre) onPick?.({ lat: centre.lat, lng: centre.lng });
          }}
        />
      )}
      <MapLegend withIncidents={incidents !== undefined} />
    </div>
  );
}
