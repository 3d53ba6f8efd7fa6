/**
 * A device's `report`: a body camera (or the officer's phone paired with it) files the short report
 * after an episode, over whichever device transport it is connected by (live/device-sessions.ts).
 */
import { DeviceReport, describeIssues, type ReportAck } from '@lagebild/protocol';
import type pg from 'pg';
import { AppError } from '../errors.ts';
import type { DeviceIdentity } from '../live/device-directory.ts';
import type { Logger } from '../logger.ts';
import { fileReport } from './report-store.ts';

/** A report is a few hundred bytes; the free-text note is at most 1,000 characters. */
const MAX_REPORT_BYTES = 4096;

export function deviceReports(pool: pg.Pool, log: Logger) {
  return async (dev: DeviceIdentity, raw: unknown): Promise<ReportAck> => {
    if (JSON.stringify(raw ?? null).length > MAX_REPORT_BYTES) {
      return {
        ok: false,
        code: 'too_large',
        message: `report larger than ${MAX_REPORT_BYTES} bytes`,
        retry: false,
      };
    }
    const parsed = DeviceReport.safeParse(raw);
    if (!parsed.success) {
      return {
        ok: false,
        code: 'bad_request',
        message: describeIssues(parsed.error).join('; '),
        retry: false,
      };
    }
    try {
      const r = await fileReport(pool, {
        tenantId: dev.tenantId,
        deviceId: dev.deviceId,
        report: parsed.data,
        source: 'device',
        userId: null,
      });
      return { ok: true, reportId: parsed.data.reportId, duplicate: r.duplicate };
    } catch (err) {
      if (err instanceof AppError) return { ok: false, code: err.code, message: err.message, retry: false };
      log.warn({ err, deviceId: dev.deviceId }, 'report not stored');
      return { ok: false, code: 'unavailable', message: 'storage unavailable; resend later', retry: true };
    }
  };
}
