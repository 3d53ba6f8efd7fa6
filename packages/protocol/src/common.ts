/**
 * Shared vocabulary: escalation stages, roles, identifiers and the error body every boundary returns.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

/** Escalation model: worn visibly → front display on → recording. `emergency` is a separate flag. */
export const Stage = z.enum(['standby', 'display', 'recording']);
export type Stage = z.infer<typeof Stage>;
export const STAGE_ORDER: Record<Stage, number> = { standby: 0, display: 1, recording: 2 };

export const Role = z.enum(['admin', 'supervisor', 'operator', 'evaluator']);
export type Role = z.infer<typeof Role>;
/** Roles that may watch the live picture of their tenant (map, units, video). Evaluators never do. */
export const LIVE_ROLES: readonly Role[] = ['admin', 'supervisor', 'operator'];
/** Who may speak to a camera through talkback (sfu/SPEC.md K1): admins administer, they do not dispatch. */
export const TALKBACK_ROLES: readonly Role[] = ['supervisor', 'operator'];

export const Id = z.string().uuid();
export const EpochMs = z.number().int().min(0).max(8.64e15);

/** Stable error codes; each maps to one HTTP status / ack status. */
export const ErrorCode = z.enum([
  'bad_request',
  'too_large',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'rate_limited',
  'unavailable',
  'internal',
  'protocol_too_old',
  'protocol_too_new',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.object({
  error: z.object({ code: ErrorCode, message: z.string(), issues: z.array(z.string()).optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Human-readable list of zod issues, e.g. "position.lat: Too big: expected number to be <=90". */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`);
}
