import { describe, expect, it } from 'vitest';
import { NO_SELECTION, reduceSelection, type Selection, type SelectionAction } from './live-selection.ts';

const selectionAfter = (actions: SelectionAction[], from: Selection = NO_SELECTION) =>
  actions.reduce(reduceSelection, from);
const point = { lat: 51.43, lng: 6.76 };

describe('reduceSelection()', () => {
  it('choosing a unit closes the incident and the new-incident form, and pans only when asked', () => {
    const state = selectionAfter([
      { type: 'picked', point },
      { type: 'unit', deviceId: 'd1', focus: null },
    ]);
    expect(state).toMatchObject({ unitId: 'd1', incidentId: null, picked: null, focus: null });
    expect(
      selectionAfter([{ type: 'unit', deviceId: 'd1', focus: { deviceId: 'd1', nonce: 1 } }]).focus,
    ).toEqual({
      deviceId: 'd1',
      nonce: 1,
    });
  });

  it('choosing an incident deselects the unit and shows the incidents tab', () => {
    const state = selectionAfter([
      { type: 'unit', deviceId: 'd1', focus: null },
      { type: 'incident', incidentId: 'i1', focus: { point, nonce: 2 } },
    ]);
    expect(state).toMatchObject({
      unitId: null,
      incidentId: 'i1',
      tab: 'incidents',
      focus: { point, nonce: 2 },
    });
  });

  it('closing the incident detail keeps the tab and everything else', () => {
    const open = selectionAfter([{ type: 'incident', incidentId: 'i1', focus: null }]);
    expect(reduceSelection(open, { type: 'incident', incidentId: null, focus: null })).toEqual({
      ...open,
      incidentId: null,
    });
  });

  it('picking a point ends picking mode and deselects unit and incident', () => {
    const state = selectionAfter([
      { type: 'incident', incidentId: 'i1', focus: null },
      { type: 'picking', on: true },
      { type: 'picked', point },
    ]);
    expect(state).toMatchObject({ picking: false, unitId: null, incidentId: null, picked: point });
    expect(reduceSelection(state, { type: 'cancelPick' }).picked).toBeNull();
  });

  it('the unit from the URL is selected and focused without closing anything', () => {
    const state = selectionAfter([
      { type: 'picked', point },
      { type: 'urlUnit', deviceId: 'd1', focus: { deviceId: 'd1', nonce: 3 } },
    ]);
    expect(state).toMatchObject({ unitId: 'd1', picked: point, focus: { deviceId: 'd1', nonce: 3 } });
  });
});
