/**
 * The units as the drawing worker holds them (issue 17, bench:map): the page sends each unit's
 * changes once, as numbers in one transferred buffer, and the worker keeps its own copy, so choosing,
 * placing and hit-testing 10,000 units for every frame (unit-draw-list.ts's packUnits) runs in the
 * worker instead of on the page, which only forwards what changed. A unit has a slot, a small number
 * the page gives it when it first sends it; its id and label travel as text only when they are new
 * or changed, the rest as the numbers below.
 */
import type { UnitLive } from '@lagebild/protocol';
import type { PackUnit } from './unit-draw-list.ts';

/** numbers per unit in `UnitChanges.data` */
export const UNIT_FIELDS = 9;
const STAGES = ['standby', 'display', 'recording'] as const;
type Stage = (typeof STAGES)[number];

export interface UnitChanges {
  /** the changes are every unit there is: forget the others */
  reset: boolean;
  /**
   * per unit: slot, lat, lng (NaN: no position), stage (index in STAGES), emergency (0/1), heading
   * (NaN: none), receivedAt, online (0/1), on duty (0/1)
   */
  data: Float64Array;
  count: number;
  /** [slot, deviceId, label, …] for the units whose id or label the worker does not know yet */
  names: (number | string)[];
}

/** what packUnits reads of a unit (PackUnit), as the worker holds it, with its slot */
export interface MirrorUnit extends PackUnit {
  slot: number;
}

/** The page's side: slots for device ids, and the changes since the last frame as numbers. */
export function createUnitEncoder() {
  const slots = new Map<string, number>();
  const ids: string[] = [];
  /** the label the worker holds per slot */
  const sentLabels: string[] = [];

  return {
    /** the device id of a slot (the worker's hit index names units by slot) */
    idOf: (slot: number): string | undefined => ids[slot],
    /** `units` (`count` of them) as changes; `reset` when they are all there are */
    encode(units: Iterable<UnitLive>, count: number, reset: boolean): UnitChanges {
      const data = new Float64Array(count * UNIT_FIELDS);
      const names: (number | string)[] = [];
      let n = 0;
      for (const unit of units) {
        if (n === count) break;
        let slot = slots.get(unit.deviceId);
        if (slot === undefined) {
          slot = ids.length;
          slots.set(unit.deviceId, slot);
          ids.push(unit.deviceId);
        }
        const label = unit.callsign ?? unit.deviceLabel;
        if (reset || sentLabels[slot] !== label) {
          sentLabels[slot] = label;
          names.push(slot, unit.deviceId, label);
        }
        const at = n * UNIT_FIELDS;
        data[at] = slot;
        data[at + 1] = unit.position ? unit.position.lat : Number.NaN;
        data[at + 2] = unit.position ? unit.position.lng : Number.NaN;
        data[at + 3] = STAGES.indexOf(unit.stage);
        data[at + 4] = unit.emergency ? 1 : 0;
        data[at + 5] = unit.headingDeg ?? Number.NaN;
        data[at + 6] = unit.receivedAt;
        data[at + 7] = unit.online ? 1 : 0;
        data[at + 8] = unit.unitId !== null ? 1 : 0;
        n += 1;
      }
      return { reset, data, count: n, names };
    },
  };
}

/** The worker's side: the units by slot, updated in place. */
export function createUnitMirror() {
  const units = new Map<number, MirrorUnit>();

  return {
    apply(changes: UnitChanges): void {
      if (changes.reset) units.clear();
      const names = changes.names;
      const named = new Map<number, { deviceId: string; label: string }>();
      for (let i = 0; i + 2 < names.length; i += 3)
        named.set(names[i] as number, { deviceId: names[i + 1] as string, label: names[i + 2] as string });
      const { data } = changes;
      for (let i = 0; i < changes.count; i++) {
        const at = i * UNIT_FIELDS;
        const slot = data[at]!;
        let unit = units.get(slot);
        const name = named.get(slot);
        if (!unit) {
          // a slot is named when it is first sent, and again in every reset
          if (!name) continue;
          unit = {
            slot,
            deviceId: name.deviceId,
            unitId: null,
            position: null,
            stage: 'standby',
            emergency: false,
            headingDeg: null,
            receivedAt: 0,
            online: false,
            callsign: name.label,
            deviceLabel: name.label,
          };
          units.set(slot, unit);
        } else if (name) {
          unit.callsign = name.label;
          unit.deviceLabel = name.label;
        }
        const lat = data[at + 1]!;
        const lng = data[at + 2]!;
        unit.position = Number.isNaN(lat) ? null : { lat, lng, accuracyM: 0 };
        unit.stage = STAGES[data[at + 3]!] ?? ('standby' as Stage);
        unit.emergency = data[at + 4] === 1;
        const heading = data[at + 5]!;
        unit.headingDeg = Number.isNaN(heading) ? null : heading;
        unit.receivedAt = data[at + 6]!;
        unit.online = data[at + 7] === 1;
        // packUnits asks only whether the unit is on duty (a shift), not which
        unit.unitId = data[at + 8] === 1 ? '' : null;
      }
    },
    units: (): IterableIterator<MirrorUnit> => units.values(),
    get size(): number {
      return units.size;
    },
  };
}
