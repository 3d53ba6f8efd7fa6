/**
 * Four-eyes rule (§ 15c PolG NRW) for deleting a recording early, keeping it beyond the period, or
 * releasing it from evidence / legal hold (released, the sweeper deletes it at the end of the
 * standard period, so a release is an early deletion by another door: issue 11): one authorised
 * person asks, a second one who is at least a supervisor and at least the asker's rank consents.
 * Nobody approves their own request.
 */
import type { FourEyesAction, Role } from '@lagebild/protocol';

const RANK: Record<Role, number> = { evaluator: 0, operator: 1, supervisor: 2, admin: 3 };

/** Operators may ask for deletion or extension; a release is asked for by those who may hold. */
export function mayRequest(role: Role, action: FourEyesAction): string | null {
  if (action === 'release')
    return RANK[role] >= RANK.supervisor ? null : 'a release needs a supervisor or an administrator';
  return RANK[role] >= RANK.operator ? null : 'this role cannot ask for that';
}

export function mayDecide(
  decider: { id: string; role: Role },
  requester: { id: string; role: Role },
): string | null {
  if (decider.id === requester.id) return 'the person who asked cannot also consent (four-eyes rule)';
  if (RANK[decider.role] < RANK.supervisor) return 'consent needs a supervisor or an administrator';
  if (RANK[decider.role] < RANK[requester.role]) return 'consent needs someone of at least the asker’s rank';
  return null;
}
