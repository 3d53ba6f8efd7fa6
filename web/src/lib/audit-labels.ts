/**
 * Readable text for the audit view: action codes as words (every value of AuditAction has a label;
 * the record type makes a new action without one a type error, the unit test a test failure), and
 * the gateway's resolved actor / target names. The raw codes and ids stay visible beside them.
 */
import type { AuditAction, AuditEntryView, AuditLabel } from '@lagebild/protocol';
import { formatDateTime } from './format.ts';
import type { Language, MessageKey, Translate } from './i18n.ts';

export const AUDIT_ACTION_LABELS: Record<AuditAction, MessageKey> = {
  login: 'audit.action.login',
  login_failed: 'audit.action.login_failed',
  login_failures: 'audit.action.login_failures',
  logout: 'audit.action.logout',
  forbidden: 'audit.action.forbidden',
  cross_tenant_refused: 'audit.action.cross_tenant_refused',
  device_provisioned: 'audit.action.device_provisioned',
  device_revoked: 'audit.action.device_revoked',
  role_changed: 'audit.action.role_changed',
  unit_created: 'audit.action.unit_created',
  incident_opened: 'audit.action.incident_opened',
  incident_closed: 'audit.action.incident_closed',
  incident_note: 'audit.action.incident_note',
  incident_priority_changed: 'audit.action.incident_priority_changed',
  unit_history_read: 'audit.action.unit_history_read',
  alert_acknowledged: 'audit.action.alert_acknowledged',
  dispatch: 'audit.action.dispatch',
  dispatch_cancelled: 'audit.action.dispatch_cancelled',
  live_watch: 'audit.action.live_watch',
  talkback: 'audit.action.talkback',
  recording_started: 'audit.action.recording_started',
  recording_sealed: 'audit.action.recording_sealed',
  playback: 'audit.action.playback',
  export: 'audit.action.export',
  evidence_marked: 'audit.action.evidence_marked',
  evidence_released: 'audit.action.evidence_released',
  four_eyes_requested: 'audit.action.four_eyes_requested',
  four_eyes_decided: 'audit.action.four_eyes_decided',
  retention_extended: 'audit.action.retention_extended',
  recording_rewrapped: 'audit.action.recording_rewrapped',
  key_destroyed: 'audit.action.key_destroyed',
  key_rotated: 'audit.action.key_rotated',
  recording_deleted: 'audit.action.recording_deleted',
  audit_checkpoint: 'audit.action.audit_checkpoint',
  audit_pruned: 'audit.action.audit_pruned',
  policy_changed: 'audit.action.policy_changed',
  baseline_created: 'audit.action.baseline_created',
  baseline_deleted: 'audit.action.baseline_deleted',
  stats_exported: 'audit.action.stats_exported',
  user_created: 'audit.action.user_created',
  user_disabled: 'audit.action.user_disabled',
  user_enabled: 'audit.action.user_enabled',
  password_reset: 'audit.action.password_reset',
  password_changed: 'audit.action.password_changed',
  sessions_ended: 'audit.action.sessions_ended',
  team_created: 'audit.action.team_created',
  team_changed: 'audit.action.team_changed',
  unit_changed: 'audit.action.unit_changed',
  shift_started: 'audit.action.shift_started',
  shift_ended: 'audit.action.shift_ended',
  totp_enabled: 'audit.action.totp_enabled',
  totp_reset: 'audit.action.totp_reset',
  sign_in_settings_changed: 'audit.action.sign_in_settings_changed',
  oidc_login_refused: 'audit.action.oidc_login_refused',
};

/** the phases of a live watch, from its payload */
export const LIVE_WATCH_PHASES: Record<string, MessageKey> = {
  authorised: 'audit.action.live_watch.authorised',
  started: 'audit.action.live_watch.started',
  ended: 'audit.action.live_watch.ended',
};

const SYSTEM_ACTORS: Record<string, MessageKey> = {
  recorder: 'audit.system.recorder',
  retention: 'audit.system.retention',
  audit: 'audit.system.audit',
};

const has = <T>(map: Record<string, T>, key: string): key is string & keyof typeof map =>
  Object.hasOwn(map, key);

/** The action as words; an action this build does not know stays its code. */
export function auditActionText(e: Pick<AuditEntryView, 'action' | 'payload'>, t: Translate): string {
  const phase = e.payload?.phase;
  if (e.action === 'live_watch' && typeof phase === 'string' && has(LIVE_WATCH_PHASES, phase))
    return t(LIVE_WATCH_PHASES[phase]!);
  return has(AUDIT_ACTION_LABELS, e.action) ? t(AUDIT_ACTION_LABELS[e.action as AuditAction]) : e.action;
}

/** A resolved actor or target as one line of text. */
export function auditLabelText(l: AuditLabel, t: Translate, lang: Language): string {
  switch (l.kind) {
    case 'system':
      return has(SYSTEM_ACTORS, l.label)
        ? t(SYSTEM_ACTORS[l.label]!)
        : t('audit.system.other', { name: l.label });
    case 'device':
      return l.unit ? t('audit.ref.device', { label: l.label, unit: l.unit }) : l.label;
    case 'recording': {
      const time = l.startedAt !== undefined ? formatDateTime(l.startedAt, lang) : '–';
      return l.unit
        ? t('audit.ref.recordingUnit', { device: l.label, unit: l.unit, time })
        : t('audit.ref.recording', { device: l.label, time });
    }
    case 'user':
      return l.label;
  }
}
