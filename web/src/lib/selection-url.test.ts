import { describe, expect, it } from 'vitest';
import { matchesSelection, searchForSelection, selectionFromSearch } from './selection-url.ts';
import { makeUnit } from './test-fixtures.ts';

describe('selection in the URL', () => {
  const unit = makeUnit(7);
  it('round-trips a unit by its unit id', () => {
    const search = searchForSelection('', unit);
    expect(search).toBe(`?unit=${unit.unitId}`);
    const ref = selectionFromSearch(search);
    expect(ref && matchesSelection(unit, ref)).toBe(true);
  });
  it('uses the device id for a camera without a unit', () => {
    const loose = makeUnit(8, { unitId: null });
    expect(searchForSelection('', loose)).toBe(`?device=${loose.deviceId}`);
  });
  it('keeps other parameters and clears the selection', () => {
    expect(searchForSelection(`?unit=x&debug=1`, null)).toBe('?debug=1');
  });
  it('reads nothing from an empty query', () => {
    expect(selectionFromSearch('')).toBeNull();
  });
});
