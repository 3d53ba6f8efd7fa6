/**
 * The life of a dispatch request as a state machine. Every change to a request goes through
 * `canTransition`, and the SQL that applies it repeats the allowed source states in its WHERE
 * clause, so concurrent gateways cannot move a request along an illegal edge.
 */
import type { DispatchState } from '@lagebild/protocol';

export const TRANSITIONS: Readonly<Record<DispatchState, readonly DispatchState[]>> = {
  sent: ['delivered', 'accepted', 'declined', 'timeout', 'cancelled'],
  delivered: ['accepted', 'declined', 'timeout', 'cancelled'],
  accepted: ['en_route', 'on_scene', 'cancelled'],
  en_route: ['on_scene', 'cancelled'],
  on_scene: [],
  declined: [],
  timeout: [],
  cancelled: [],
};

export const ACTIVE_STATES: readonly DispatchState[] = ['sent', 'delivered', 'accepted', 'en_route'];

export const canTransition = (from: DispatchState, to: DispatchState): boolean =>
  TRANSITIONS[from].includes(to);

/** States from which `to` may be reached (for the WHERE clause of an UPDATE). */
export const sourcesOf = (to: DispatchState): DispatchState[] =>
  (Object.keys(TRANSITIONS) as DispatchState[]).filter((from) => canTransition(from, to));

export const isTerminal = (s: DispatchState): boolean => TRANSITIONS[s].length === 0;
