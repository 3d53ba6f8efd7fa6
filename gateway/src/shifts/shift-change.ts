/**
 * What follows a committed shift start or end (issue 15), on every gateway: the gateway holding the
 * device's socket re-reads which unit wears it (no reconnect), so the statuses and stage changes it
 * reports from then on name the new unit, or none; and the device's cached live state names its new
 * unit at once, sent to the dashboards with the next batch, so the map shows the unit on shift and
 * an ended shift's camera moves to the "not on duty" list without waiting for its next status.
 */
import type { Coalescer } from '../live/coalescer.ts';
import type { DeviceSessions } from '../live/device-sessions.ts';
import type { DeviceAssignment, LiveStore } from '../live/live-store.ts';
import type { Logger } from '../logger.ts';

export type ShiftChangeNotifier = (tenantId: string, deviceId: string, to: DeviceAssignment) => Promise<void>;

export function shiftChangeNotifier(deps: {
  live: LiveStore;
  coalescer: Coalescer;
  devices: DeviceSessions;
  log: Logger;
}): ShiftChangeNotifier {
  return async (tenantId, deviceId, to) => {
    await deps.devices
      .shiftChanged(deviceId)
      .catch((err) => deps.log.warn({ err, deviceId }, 'device identity not refreshed after a shift change'));
    try {
      const state = await deps.live.reassign(tenantId, deviceId, to);
      if (state) deps.coalescer.add(tenantId, state);
    } catch (err) {
      // the cache corrects itself with the device's next status
      deps.log.warn({ err, deviceId }, 'live state not reassigned after a shift change');
    }
  };
}
