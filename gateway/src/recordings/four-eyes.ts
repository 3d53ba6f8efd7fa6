/**
 * Four-eyes rule (§ 15c PolG NRW) for deleting a recording early or keeping it beyond the period:
 * one authorised person asks, a second one who is at least a supervisor and at least the asker's
 * rank consents. Nobody approves their own request.
 */
import type { Role } from '@lagebild/protocol';

const RANK: Record<Role, number> = { evaluator: 0, operator: 1, supervisor: 2, admin: 3 };

export const mayRequest = (role: Role): boolean => RANK[role] >= RANK.operator;

export function mayDecide(
  decider: { id: string; role: Role },
  requester: { id: string; role: Role },
): string | null {
  if (decider.id === requester.id) return 'the person who asked cannot also consent (four-eyes rule)';
  if (RANK[decider.role] < RANK.supervisor) return 'consent needs a supervisor or an administrator';
  if (RANK[decider.role] < RANK[requester.role]) return 'consent needs someone of at least the asker’s rank';
  return null;
}
