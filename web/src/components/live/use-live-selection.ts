/**
 * The map page's selection (lib/live-selection.ts) and what goes with it: the URL names the selected
 * unit (?unit=…), a unit named there is selected once it shows up, choosing something can pan the map
 * to it, and what the page itself opens or changes goes into the live session like any upsert.
 */
import type { Alert, DispatchRequest, Incident, LatLng, UnitLive } from '@lagebild/protocol';
import { useCallback, useEffect, useMemo, useReducer, useRef } from 'react';
import { incidentLocation } from '@/lib/dispatch-view';
import { NO_SELECTION, reduceSelection, type SideTab } from '@/lib/live-selection';
import type { LiveSession } from '@/lib/live-session';
import {
  matchesSelection,
  type SelectionRef,
  searchForSelection,
  selectionFromSearch,
} from '@/lib/selection-url';

type FocusTarget = { deviceId: string } | { point: LatLng };

/** `onDuty` and `offDuty` together are every unit the store holds (they change with each frame) */
export function useLiveSelection(
  session: LiveSession,
  onDuty: readonly UnitLive[],
  offDuty: readonly UnitLive[],
) {
  const [selection, dispatch] = useReducer(reduceSelection, NO_SELECTION);
  /** the unit the URL names, until it shows up or the user chooses something else */
  const pendingSelection = useRef<SelectionRef | null>(null);

  useEffect(() => {
    pendingSelection.current = selectionFromSearch(window.location.search);
  }, []);

  useEffect(() => {
    const ref = pendingSelection.current;
    const find = (u: UnitLive) => ref !== null && matchesSelection(u, ref);
    const unit = ref ? (onDuty.find(find) ?? offDuty.find(find)) : undefined;
    if (!unit) return;
    pendingSelection.current = null;
    dispatch({
      type: 'urlUnit',
      deviceId: unit.deviceId,
      focus: { deviceId: unit.deviceId, nonce: Date.now() },
    });
  }, [onDuty, offDuty]);

  /** the URL follows the selected unit (none when an incident or a picked point takes its place) */
  const showUnitInUrl = useCallback(
    (deviceId: string | null) => {
      pendingSelection.current = null;
      const unit = deviceId ? (session.unitStore.units.get(deviceId) ?? null) : null;
      const search = searchForSelection(window.location.search, unit);
      window.history.replaceState(window.history.state, '', `${window.location.pathname}${search}`);
    },
    [session],
  );

  const selectUnit = useCallback(
    (deviceId: string | null, pan: boolean) => {
      showUnitInUrl(deviceId);
      dispatch({ type: 'unit', deviceId, focus: deviceId && pan ? { deviceId, nonce: Date.now() } : null });
    },
    [showUnitInUrl],
  );

  const selectIncident = useCallback(
    (incidentId: string | null, pan = true) => {
      if (!incidentId) {
        dispatch({ type: 'incident', incidentId: null, focus: null });
        return;
      }
      showUnitInUrl(null);
      const incident = session.incidentStore.incidents.get(incidentId);
      const at = incident ? incidentLocation(incident, session.unitStore.units) : null;
      dispatch({ type: 'incident', incidentId, focus: at && pan ? { point: at, nonce: Date.now() } : null });
    },
    [session, showUnitInUrl],
  );

  const pick = useCallback(
    (point: LatLng) => {
      showUnitInUrl(null);
      dispatch({ type: 'picked', point });
    },
    [showUnitInUrl],
  );

  const opened = useCallback(
    (incident: Incident) => {
      session.apply({ type: 'incident', incident });
      selectIncident(incident.id);
    },
    [session, selectIncident],
  );

  const actions = useMemo(
    () => ({
      selectFromList: (deviceId: string) => selectUnit(deviceId, true),
      selectFromMap: (deviceId: string) => selectUnit(deviceId, false),
      selectIncidentFromMap: (incidentId: string) => selectIncident(incidentId, false),
      closeUnit: () => selectUnit(null, false),
      closeIncident: () => selectIncident(null),
      cancelPick: () => dispatch({ type: 'cancelPick' }),
      setPicking: (on: boolean) => dispatch({ type: 'picking', on }),
      setTab: (tab: SideTab) => dispatch({ type: 'tab', tab }),
      focusOn: (target: FocusTarget) => dispatch({ type: 'focus', focus: { ...target, nonce: Date.now() } }),
      acknowledged: (alert: Alert) => session.apply({ type: 'alert', alert }),
      requestsChanged: (requests: readonly DispatchRequest[]) => {
        for (const request of requests) session.apply({ type: 'dispatch', request });
      },
      incidentChanged: (incident: Incident) => session.apply({ type: 'incident', incident }),
    }),
    [session, selectUnit, selectIncident],
  );

  return { selection, selectUnit, selectIncident, pick, opened, ...actions };
}
export type LiveSelectionModel = ReturnType<typeof useLiveSelection>;
