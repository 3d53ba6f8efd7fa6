import { ControlBatch } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { makeUnit } from './test-fixtures.ts';
import { createUnitWireDecoder, createUnitWireEncoder } from './unit-wire.ts';

describe('units from the socket worker to the page (issue 17)', () => {
  it('arrive as the objects the schema gave, through new units, changed texts and nulls', () => {
    const encoder = createUnitWireEncoder();
    const decoder = createUnitWireDecoder();
    const batches = [
      [
        makeUnit(1),
        makeUnit(2, {
          unitId: null,
          callsign: null,
          team: null,
          position: null,
          headingDeg: null,
          speedMps: null,
          announced: null,
          network: 'none',
        }),
        makeUnit(3, { stage: 'recording', announced: false, emergency: true, online: false, network: '5g' }),
      ],
      [makeUnit(2, { seq: 2, callsign: 'KOD Neu', team: 'Nord' }), makeUnit(4, { stage: 'display' })],
      [makeUnit(1, { seq: 3, position: { lat: -12.5, lng: 179.25, accuracyM: 0 }, headingDeg: 0 })],
    ];
    for (const units of batches) {
      // what the page's socket gave: the schema's parse of the message
      const parsed = ControlBatch.parse({ serverTime: 1, units, stageChanges: [] }).units;
      const wire = encoder.encode(parsed);
      expect(decoder.decode(wire)).toStrictEqual(parsed);
    }
  });

  it("sends a unit's texts once, and again when they change", () => {
    const encoder = createUnitWireEncoder();
    expect(encoder.encode([makeUnit(1)]).texts).toHaveLength(6);
    expect(encoder.encode([makeUnit(1, { seq: 2 })]).texts).toHaveLength(0);
    expect(encoder.encode([makeUnit(1, { seq: 3, team: null })]).texts).toHaveLength(6);
  });
});
