/**
 * The OsmAnd protocol (Traccar Client, OsmAnd's live tracking, many hardware trackers) mapped onto a
 * Lagebild status event, as pure functions. OsmAnd reports a position and battery, nothing of the
 * escalation stage, signal or network: those carry over from the device's latest state, so a
 * position report never changes a stage by itself (rules D20–D24 in docs/device-protocol.md).
 * OsmAnd has no sequence number: the position's time in epoch ms is its `seq`, so a tracker
 * resending a buffered position is a duplicate and an older buffered one is late.
 */
import type { DeviceStatusInput, OsmAndParams, TraccarJsonLocation, UnitLive } from '@lagebild/protocol';

/** Traccar's conversion: OsmAnd's speed is in knots. */
export const KNOT_MPS = 1852 / 3600;

/** Below this, a number `timestamp` is epoch seconds (Traccar: `< Integer.MAX_VALUE`); above, ms. */
const SECONDS_BELOW = 2 ** 31 - 1;

/**
 * OsmAnd's `timestamp` in epoch ms: seconds or ms since the epoch, ISO 8601, or
 * `yyyy-MM-dd HH:mm:ss` (read as UTC). Null when it is none of these.
 */
export function osmAndTime(value: string): number | null {
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    return n < SECONDS_BELOW ? n * 1000 : n;
  }
  const spaced = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/.exec(value);
  const ms = Date.parse(spaced ? `${spaced[1]}T${spaced[2]}Z` : value);
  return Number.isFinite(ms) ? ms : null;
}

const truthy = (v: string | undefined) => v === 'true' || v === '1';

/** The device id the tracker names itself by (`id`, or Traccar's alias `deviceid`). */
export const osmAndDeviceId = (p: OsmAndParams): string | undefined => p.id ?? p.deviceid;

export type OsmAndMapping = { ok: true; status: DeviceStatusInput } | { ok: false; message: string };

/**
 * The status event an OsmAnd report stands for, given the device's latest live state (null if it
 * has none). Values OsmAnd does not carry come from that state; a device without one starts in
 * `standby`, battery 0 % and no network until it reports them.
 */
export function osmAndStatus(p: OsmAndParams, prev: UnitLive | null, nowMs: number): OsmAndMapping {
  const at = p.timestamp === undefined ? nowMs : osmAndTime(p.timestamp);
  if (at === null) return { ok: false, message: `timestamp "${p.timestamp}" is not a time` };
  let lat = p.lat;
  let lon = p.lon;
  if (p.location !== undefined) {
    const [a, b] = p.location.split(',').map(Number);
    if (!Number.isFinite(a) || !Number.isFinite(b))
      return { ok: false, message: 'location must be "lat,lon"' };
    lat = a;
    lon = b;
  }
  // Traccar reads 0,0 as "no fix" as well; so does an explicit valid=false
  const fix =
    lat !== undefined && lon !== undefined && !(lat === 0 && lon === 0) && !(p.valid && !truthy(p.valid));
  const course = p.bearing ?? p.heading;
  const emergency =
    p.alarm?.toLowerCase() === 'sos' ? true : p.emergency ? truthy(p.emergency) : (prev?.emergency ?? false);
  const stage = p.stage ?? prev?.stage ?? 'standby';
  // a recording continued over OsmAnd keeps how it was announced; one started over OsmAnd is announced
  const continued = stage === 'recording' && prev?.stage === 'recording' ? prev : null;
  const announced = stage === 'recording' ? (continued?.announced ?? true) : null;
  return {
    ok: true,
    status: {
      seq: p.seq ?? at,
      at,
      position: fix ? { lat: lat!, lng: lon!, accuracyM: p.accuracy ?? 0 } : null,
      // phones report -1 (or nothing) when they do not know
      headingDeg: course !== undefined && course >= 0 ? course % 360 : null,
      speedMps: p.speed !== undefined && p.speed >= 0 ? Math.round(p.speed * KNOT_MPS * 1000) / 1000 : null,
      batteryPct: p.batt !== undefined ? Math.round(p.batt) : (prev?.batteryPct ?? 0),
      signalBars: prev?.signalBars ?? 0,
      network: prev?.network ?? 'none',
      stage,
      announced,
      unannouncedReason: announced === false ? `unchanged since seq ${continued!.seq}` : null,
      emergency,
    },
  };
}

/**
 * A position of Traccar Client 9's JSON body as the OsmAnd parameters it stands for (Traccar's own
 * server reads it the same way): speed from m/s to knots, battery level 0…1 to percent, -1 unknown.
 */
export function traccarJsonParams(loc: TraccarJsonLocation, deviceId: string | undefined): OsmAndParams {
  const c = loc.coords;
  const known = (v: number | undefined) => (v !== undefined && v >= 0 ? v : undefined);
  const speedMps = known(c.speed);
  const level = known(loc.battery?.level);
  return {
    id: deviceId,
    timestamp: loc.timestamp,
    lat: c.latitude,
    lon: c.longitude,
    accuracy: known(c.accuracy),
    speed: speedMps === undefined ? undefined : speedMps / KNOT_MPS,
    bearing: known(c.heading),
    altitude: c.altitude,
    batt: level === undefined ? undefined : level * 100,
    alarm: loc.extras?.alarm,
  };
}
