/**
 * What the map page has selected: a unit, an incident, or a point picked on the map for a new
 * incident (the side panel shows one of them), the side tab, and where the map was last asked to pan.
 * A pure reducer: the caller works out the focus (it needs the live units) and its nonce.
 */
import type { LatLng } from '@lagebild/protocol';
import type { FocusRequest } from '@/map/live-map';

export type SideTab = 'units' | 'incidents';

export interface Selection {
  unitId: string | null;
  incidentId: string | null;
  /** a point picked on the map: the form for a new incident there is open */
  picked: LatLng | null;
  /** the map waits for a click that picks a point */
  picking: boolean;
  tab: SideTab;
  /** the latest request to pan the map; a new nonce pans again, even to the same place */
  focus: FocusRequest | null;
}

export type SelectionAction =
  /** a unit chosen in the list, on the map or in the event log (null: none) */
  | { type: 'unit'; deviceId: string | null; focus: FocusRequest | null }
  /** the unit named in the page's URL showed up */
  | { type: 'urlUnit'; deviceId: string; focus: FocusRequest }
  /** an incident chosen in the list, on the map or in an alert (null: the detail closed) */
  | { type: 'incident'; incidentId: string | null; focus: FocusRequest | null }
  | { type: 'picking'; on: boolean }
  | { type: 'picked'; point: LatLng }
  | { type: 'cancelPick' }
  | { type: 'tab'; tab: SideTab }
  | { type: 'focus'; focus: FocusRequest };

export const NO_SELECTION: Selection = {
  unitId: null,
  incidentId: null,
  picked: null,
  picking: false,
  tab: 'units',
  focus: null,
};

export function reduceSelection(state: Selection, action: SelectionAction): Selection {
  switch (action.type) {
    case 'unit': {
      const focus = action.focus ?? state.focus;
      if (!action.deviceId) return { ...state, unitId: null, focus };
      return { ...state, unitId: action.deviceId, incidentId: null, picked: null, focus };
    }
    case 'urlUnit':
      return { ...state, unitId: action.deviceId, focus: action.focus };
    case 'incident':
      if (!action.incidentId) return { ...state, incidentId: null };
      return {
        ...state,
        incidentId: action.incidentId,
        unitId: null,
        picked: null,
        tab: 'incidents',
        focus: action.focus ?? state.focus,
      };
    case 'picking':
      return { ...state, picking: action.on };
    case 'picked':
      return { ...state, picking: false, unitId: null, incidentId: null, picked: action.point };
    case 'cancelPick':
      return { ...state, picked: null };
    case 'tab':
      return { ...state, tab: action.tab };
    case 'focus':
      return { ...state, focus: action.focus };
  }
}
