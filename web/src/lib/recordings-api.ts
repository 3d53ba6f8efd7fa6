/**
 * The recordings library's calls to the gateway (issue 6): list with filters, detail with its
 * four-eyes requests, playback ticket, evidence / legal hold / release, export download, four-eyes
 * request and decision, and the admins' audit log. Bodies are checked against the protocol schemas.
 */
import {
  AuditResponse,
  type FourEyesAction,
  PendingApprovalsResponse,
  PlaybackResponse,
  RecordingDetailResponse,
  RecordingResponse,
  RecordingsResponse,
  type RetentionClass,
} from '@lagebild/protocol';
import { ApiError, apiGet, apiPost, apiPostNoContent } from './api';

export interface RecordingFilter {
  unitId?: string;
  incidentId?: string;
  retention?: RetentionClass;
  /** local dates, yyyy-mm-dd (inclusive) */
  from?: string;
  to?: string;
}

const DAY_MS = 86_400_000;

/** Query string of a filter; the date inputs are local days, `to` includes its whole day. */
export function recordingsQuery(f: RecordingFilter): string {
  const q = new URLSearchParams();
  if (f.unitId) q.set('unitId', f.unitId);
  if (f.incidentId) q.set('incidentId', f.incidentId);
  if (f.retention) q.set('retention', f.retention);
  if (f.from) q.set('from', String(new Date(`${f.from}T00:00:00`).getTime()));
  if (f.to) q.set('to', String(new Date(`${f.to}T00:00:00`).getTime() + DAY_MS));
  q.set('limit', '500');
  return q.toString();
}

/** a recording with its four-eyes requests (GET /api/recordings/:id) */
export type RecordingDetail = RecordingDetailResponse;

export const listRecordings = (f: RecordingFilter, signal?: AbortSignal) =>
  apiGet(`/api/recordings?${recordingsQuery(f)}`, RecordingsResponse, signal);
export const getRecording = (id: string) => apiGet(`/api/recordings/${id}`, RecordingDetailResponse);
export const startPlayback = (id: string, reason: string) =>
  apiPost(`/api/recordings/${id}/playback`, { reason }, PlaybackResponse);
export const markEvidence = (
  id: string,
  body: { reason: string; caseReference: string; legalHold: boolean },
) => apiPost(`/api/recordings/${id}/evidence`, body, RecordingResponse).then((r) => r.recording);
export const requestFourEyes = (
  id: string,
  body: { action: FourEyesAction; reason: string; extendDays?: number },
) => apiPostNoContent(`/api/recordings/${id}/approvals`, body);
export const listPendingApprovals = (signal?: AbortSignal) =>
  apiGet('/api/recording-approvals', PendingApprovalsResponse, signal);
export const decideFourEyes = (approvalId: string, body: { approve: boolean; reason: string }) =>
  apiPostNoContent(`/api/recording-approvals/${approvalId}/decision`, body);

export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  /** YYYY-MM-DDTHH:MM, local time (as date-field.tsx gives it) */
  from?: string;
  to?: string;
  beforeSeq?: number;
}
export const AUDIT_PAGE = 50;
export function auditQuery(f: AuditFilter): string {
  const q = new URLSearchParams();
  if (f.actor) q.set('actor', f.actor);
  if (f.action) q.set('action', f.action);
  if (f.target) q.set('target', f.target);
  if (f.from) q.set('from', String(new Date(f.from).getTime()));
  if (f.to) q.set('to', String(new Date(f.to).getTime()));
  if (f.beforeSeq) q.set('beforeSeq', String(f.beforeSeq));
  q.set('limit', String(AUDIT_PAGE));
  return q.toString();
}
export const listAudit = (f: AuditFilter, signal?: AbortSignal) =>
  apiGet(`/api/audit?${auditQuery(f)}`, AuditResponse, signal);

/**
 * POST …/export answers the tar bundle itself; it is saved through a temporary object URL, so the
 * browser's download bar shows the gateway's file name.
 */
export async function downloadExport(id: string, body: { reason: string; recipient: string }): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`/api/recordings/${id}/export`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  if (!response.ok) {
    const message = await response.text().catch(() => '');
    const code =
      response.status === 403 ? 'forbidden' : response.status === 401 ? 'unauthenticated' : 'bad_response';
    throw new ApiError(response.status, code, message.slice(0, 300) || `HTTP ${response.status}`);
  }
  const name =
    /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ??
    `recording-${id}.tar`;
  const url = URL.createObjectURL(await response.blob());
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
