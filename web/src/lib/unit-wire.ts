/**
 * Units from the live socket's worker to the page (issue 17, bench:map): the worker parses and
 * validates each `snapshot` and `batch` (live-socket-worker.ts) and hands the page its units as
 * numbers in one transferred buffer; the page builds the UnitLive objects again from them. At 10,000
 * units parsing and validating took the page ~10 ms per 1,000 units, and a structured clone of the
 * validated objects would cost as much again; building objects from numbers costs a fraction. Each
 * device has a slot, given by the worker when it first sends it; its texts (id, label, unit, call
 * sign, team) travel only when they are new or changed. The objects are what the schema gives:
 * the same keys, the same values.
 */
import { Network, Stage, type UnitLive } from '@lagebild/protocol';

/** numbers per unit in `WireUnits.data` */
export const WIRE_FIELDS = 17;
const NETWORKS = Network.options;
const STAGES = Stage.options;

export interface WireUnits {
  /**
   * per unit: slot, seq, at, receivedAt, lat, lng, accuracyM (NaN: no position), headingDeg,
   * speedMps (NaN: null), batteryPct, signalBars, network, stage (index in the schema's enum),
   * announced (NaN: null, else 0/1), emergency (0/1), stageSince, online (0/1)
   */
  data: Float64Array;
  count: number;
  /** [slot, deviceId, deviceLabel, unitId, callsign, team, …] for slots whose texts are new or changed */
  texts: (number | string | null)[];
}

const orNaN = (x: number | null): number => (x === null ? Number.NaN : x);
const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

/** The worker's side: units as numbers, texts only when the page does not hold them yet. */
export function createUnitWireEncoder() {
  const slots = new Map<string, number>();
  /** the texts the page holds per slot, joined */
  const sent: string[] = [];

  return {
    encode(units: readonly UnitLive[]): WireUnits {
      const data = new Float64Array(units.length * WIRE_FIELDS);
      const texts: (number | string | null)[] = [];
      for (let i = 0; i < units.length; i++) {
        const u = units[i]!;
        let slot = slots.get(u.deviceId);
        if (slot === undefined) {
          slot = slots.size;
          slots.set(u.deviceId, slot);
        }
        // \u0000 never occurs in these texts; the nulls are told apart by a marker of their own
        const key = `${u.deviceLabel}\u0000${u.unitId ?? '\u0001'}\u0000${u.callsign ?? '\u0001'}\u0000${u.team ?? '\u0001'}`;
        if (sent[slot] !== key) {
          sent[slot] = key;
          texts.push(slot, u.deviceId, u.deviceLabel, u.unitId, u.callsign, u.team);
        }
        const at = i * WIRE_FIELDS;
        data[at] = slot;
        data[at + 1] = u.seq;
        data[at + 2] = u.at;
        data[at + 3] = u.receivedAt;
        data[at + 4] = u.position ? u.position.lat : Number.NaN;
        data[at + 5] = u.position ? u.position.lng : Number.NaN;
        data[at + 6] = u.position ? u.position.accuracyM : Number.NaN;
        data[at + 7] = orNaN(u.headingDeg);
        data[at + 8] = orNaN(u.speedMps);
        data[at + 9] = u.batteryPct;
        data[at + 10] = u.signalBars;
        data[at + 11] = NETWORKS.indexOf(u.network);
        data[at + 12] = STAGES.indexOf(u.stage);
        data[at + 13] = u.announced === null ? Number.NaN : u.announced ? 1 : 0;
        data[at + 14] = u.emergency ? 1 : 0;
        data[at + 15] = u.stageSince;
        data[at + 16] = u.online ? 1 : 0;
      }
      return { data, count: units.length, texts };
    },
  };
}

interface Texts {
  deviceId: string;
  deviceLabel: string;
  unitId: string | null;
  callsign: string | null;
  team: string | null;
}

/** The page's side: the UnitLive objects again. */
export function createUnitWireDecoder() {
  const bySlot: Texts[] = [];

  return {
    decode(wire: WireUnits): UnitLive[] {
      const { texts, data } = wire;
      for (let i = 0; i + 5 < texts.length; i += 6) {
        bySlot[texts[i] as number] = {
          deviceId: texts[i + 1] as string,
          deviceLabel: texts[i + 2] as string,
          unitId: texts[i + 3] as string | null,
          callsign: texts[i + 4] as string | null,
          team: texts[i + 5] as string | null,
        };
      }
      const units = new Array<UnitLive>(wire.count);
      for (let i = 0; i < wire.count; i++) {
        const at = i * WIRE_FIELDS;
        const t = bySlot[data[at]!]!;
        const lat = data[at + 4]!;
        const announced = data[at + 13]!;
        // the schema's key order, so the objects look as the socket's did
        units[i] = {
          deviceId: t.deviceId,
          deviceLabel: t.deviceLabel,
          unitId: t.unitId,
          callsign: t.callsign,
          team: t.team,
          seq: data[at + 1]!,
          at: data[at + 2]!,
          receivedAt: data[at + 3]!,
          position: Number.isNaN(lat) ? null : { lat, lng: data[at + 5]!, accuracyM: data[at + 6]! },
          headingDeg: orNull(data[at + 7]!),
          speedMps: orNull(data[at + 8]!),
          batteryPct: data[at + 9]!,
          signalBars: data[at + 10]!,
          network: NETWORKS[data[at + 11]!]!,
          stage: STAGES[data[at + 12]!]!,
          announced: Number.isNaN(announced) ? null : announced === 1,
          emergency: data[at + 14] === 1,
          stageSince: data[at + 15]!,
          online: data[at + 16] === 1,
        };
      }
      return units;
    },
  };
}
