/**
 * Users of a tenant, administered by its admins (issue 15), and the first-login password change.
 * Every change names a reason (audited). A new or reset user gets a one-time setup code, shown once
 * in the admin's answer; they sign in with it and must then set their own password
 * (`POST /api/auth/password`). The password policy is documented in docs/security.md.
 */
import { z } from 'zod';
import { EpochMs, Id, Role } from './common.ts';
import { MeResponse } from './http.ts';

/** Length over composition: no character classes are demanded, only length (NIST SP 800-63B). */
export const PASSWORD_POLICY = { minLength: 12, maxLength: 128 } as const;

/**
 * Why a new password was refused; the gateway's 400 names the code as `newPassword: <code>: …`
 * in its issues, so a client can word it in its own language.
 */
export const PasswordRefusal = z.enum([
  'password_too_short',
  'password_too_long',
  'password_common',
  'password_contains_username',
]);
export type PasswordRefusal = z.infer<typeof PasswordRefusal>;

/** Lower case letters, digits and `. _ @ -`, 3–64 characters: what the audit view can name. */
export const Username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^[a-z0-9][a-z0-9._@-]{2,63}$/,
    'username: 3–64 characters, lower case letters, digits and . _ @ - (starting with a letter or digit)',
  );

export const AuditReason = z
  .string('reason is required (5–500 characters)')
  .trim()
  .min(5, 'reason must be at least 5 characters')
  .max(500, 'reason must be at most 500 characters');

/** A user as the users page shows it. */
export const AdminUser = z.object({
  id: Id,
  username: z.string(),
  displayName: z.string(),
  email: z.string().nullable(),
  role: Role,
  disabledAt: EpochMs.nullable(),
  /** a new or reset user who has not set their own password yet */
  mustChangePassword: z.boolean(),
  /** until when the current setup code works; null = none pending */
  setupCodeExpiresAt: EpochMs.nullable(),
  createdAt: EpochMs,
  /** sessions that have not expired */
  activeSessions: z.number().int().min(0),
  /** since when the user has a confirmed second factor (TOTP); null = none */
  totpEnabledAt: EpochMs.nullable(),
});
export type AdminUser = z.infer<typeof AdminUser>;

export const UsersResponse = z.object({ users: z.array(AdminUser) });
export type UsersResponse = z.infer<typeof UsersResponse>;

export const CreateUserRequest = z.strictObject({
  username: Username,
  displayName: z.string().trim().min(1).max(100),
  role: Role,
  email: z.email().max(254).nullable().optional(),
  reason: AuditReason,
});
export type CreateUserRequest = z.infer<typeof CreateUserRequest>;

/** The setup code is in this answer only; the gateway keeps its SHA-256. */
export const SetupCodeResponse = z.object({
  user: AdminUser,
  setupCode: z.string(),
  setupCodeExpiresAt: EpochMs,
});
export type SetupCodeResponse = z.infer<typeof SetupCodeResponse>;

export const ChangeRoleRequest = z.strictObject({ role: Role, reason: AuditReason });
export type ChangeRoleRequest = z.infer<typeof ChangeRoleRequest>;

/** Disable, enable, reset the password: only the reason. */
export const UserChangeRequest = z.strictObject({ reason: AuditReason });
export type UserChangeRequest = z.infer<typeof UserChangeRequest>;

export const UserResponse = z.object({
  user: AdminUser,
  /** false when the user already was in the asked-for state (nothing changed, nothing audited) */
  changed: z.boolean(),
});
export type UserResponse = z.infer<typeof UserResponse>;

/** A session's non-secret reference (never its token or the token's hash). */
export const SessionRef = z.string().regex(/^[0-9a-f]{32}$/, 'sessionRef: 32 hex digits');

export const UserSession = z.object({
  ref: SessionRef,
  createdAt: EpochMs,
  expiresAt: EpochMs,
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  /** the caller's own session */
  current: z.boolean(),
});
export type UserSession = z.infer<typeof UserSession>;

export const UserSessionsResponse = z.object({ sessions: z.array(UserSession) });
export type UserSessionsResponse = z.infer<typeof UserSessionsResponse>;

/** Ends one session (`sessionRef`) or all of them. */
export const EndSessionsRequest = z.strictObject({ reason: AuditReason, sessionRef: SessionRef.optional() });
export type EndSessionsRequest = z.infer<typeof EndSessionsRequest>;

export const EndSessionsResponse = z.object({ ended: z.number().int().min(0) });
export type EndSessionsResponse = z.infer<typeof EndSessionsResponse>;

/**
 * The login's answer for a new or reset user who signed in with their setup code: no session yet;
 * the client asks for a new password and sends it with the code to `POST /api/auth/password`.
 */
export const PasswordChangeRequired = z.object({ passwordChangeRequired: z.literal(true) });
export type PasswordChangeRequired = z.infer<typeof PasswordChangeRequired>;

/** The login's ticket for the second step: 43 base64url characters, valid for a few minutes. */
export const SignInTicket = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'ticket: the login answer’s ticket');

/** The password was right; a code from the authenticator app is still needed. */
export const SecondFactorRequired = z.object({ secondFactorRequired: z.literal(true), ticket: SignInTicket });
export type SecondFactorRequired = z.infer<typeof SecondFactorRequired>;

/** The password was right, but the tenant requires a second factor for the role and none is set up. */
export const TotpEnrolmentRequired = z.object({
  totpEnrolmentRequired: z.literal(true),
  ticket: SignInTicket,
});
export type TotpEnrolmentRequired = z.infer<typeof TotpEnrolmentRequired>;

export const LoginResponse = z.union([
  MeResponse,
  PasswordChangeRequired,
  SecondFactorRequired,
  TotpEnrolmentRequired,
]);
export type LoginResponse = z.infer<typeof LoginResponse>;

/**
 * Sets one's own password: with the setup code (first login, after a reset) or the current
 * password. Answers like a login (the session cookie is set); the user's other sessions end.
 */
export const ChangePasswordRequest = z.strictObject({
  username: z.string().trim().min(1).max(100),
  /** the setup code or the current password */
  password: z.string().min(1).max(1000),
  newPassword: z.string().min(1).max(1000),
});
export type ChangePasswordRequest = z.infer<typeof ChangePasswordRequest>;
