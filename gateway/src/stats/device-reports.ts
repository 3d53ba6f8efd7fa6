/**
 * The `report` event on `/device`: a body camera (or the officer's phone paired with it) files the
 * short report after an episode. Registered as a second connection listener on the namespace, so the
 * device authentication middleware has run and `socket.data` holds the device's identity.
 */
import { DeviceReport, describeIssues, type ReportAck } from '@lagebild/protocol';
import type pg from 'pg';
import { AppError } from '../errors.ts';
import type { DeviceNamespace } from '../live/device-namespace.ts';
import type { Logger } from '../logger.ts';
import { fileReport } from './report-store.ts';

/** A report is a few hundred bytes; the free-text note is at most 1,000 characters. */
const MAX_REPORT_BYTES = 4096;

export function attachReportEvents(nsp: DeviceNamespace, pool: pg.Pool, log: Logger): void {
  nsp.on('connection', (socket) => {
    const dev = socket.data;
    socket.on('report', (raw: unknown, ack: (a: ReportAck) => void) => {
      if (typeof ack !== 'function') return;
      if (JSON.stringify(raw ?? null).length > MAX_REPORT_BYTES) {
        return ack({
          ok: false,
          code: 'too_large',
          message: `report larger than ${MAX_REPORT_BYTES} bytes`,
          retry: false,
        });
      }
      const parsed = DeviceReport.safeParse(raw);
      if (!parsed.success) {
        return ack({
          ok: false,
          code: 'bad_request',
          message: describeIssues(parsed.error).join('; '),
          retry: false,
        });
      }
      fileReport(pool, {
        tenantId: dev.tenantId,
        deviceId: dev.deviceId,
        report: parsed.data,
        source: 'device',
        userId: null,
      }).then(
        (r) => ack({ ok: true, reportId: parsed.data.reportId, duplicate: r.duplicate }),
        (err: unknown) => {
          if (err instanceof AppError)
            return ack({ ok: false, code: err.code, message: err.message, retry: false });
          log.warn({ err, deviceId: dev.deviceId }, 'report not stored');
          ack({ ok: false, code: 'unavailable', message: 'storage unavailable; resend later', retry: true });
        },
      );
    });
  });
}
