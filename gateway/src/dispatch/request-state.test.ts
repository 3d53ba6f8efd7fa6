import type { DispatchState } from '@lagebild/protocol';
import { DispatchState as States } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { ACTIVE_STATES, canTransition, isTerminal, sourcesOf, TRANSITIONS } from './request-state.ts';

const ALL = States.options as DispatchState[];

describe('dispatch request state machine', () => {
  it.each([
    ['sent', 'delivered'],
    ['sent', 'accepted'],
    ['sent', 'timeout'],
    ['delivered', 'accepted'],
    ['delivered', 'declined'],
    ['delivered', 'timeout'],
    ['delivered', 'cancelled'],
    ['accepted', 'en_route'],
    ['accepted', 'on_scene'],
    ['en_route', 'on_scene'],
    ['en_route', 'cancelled'],
  ] as Array<[DispatchState, DispatchState]>)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each([
    ['accepted', 'declined'],
    ['accepted', 'timeout'],
    ['en_route', 'accepted'],
    ['delivered', 'sent'],
    ['declined', 'accepted'],
    ['timeout', 'accepted'],
    ['on_scene', 'en_route'],
    ['cancelled', 'sent'],
  ] as Array<[DispatchState, DispatchState]>)('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('has no way out of a terminal state and no self-loops', () => {
    for (const s of ALL) {
      expect(canTransition(s, s)).toBe(false);
      if (isTerminal(s)) expect(TRANSITIONS[s]).toEqual([]);
    }
    expect(ALL.filter(isTerminal).sort()).toEqual(['cancelled', 'declined', 'on_scene', 'timeout']);
  });

  it('computes the source states used in UPDATE … WHERE state = ANY(…)', () => {
    expect(sourcesOf('accepted').sort()).toEqual(['delivered', 'sent']);
    expect(sourcesOf('on_scene').sort()).toEqual(['accepted', 'en_route']);
    expect(sourcesOf('sent')).toEqual([]);
  });

  it('treats exactly the non-terminal states as active (one active request per unit)', () => {
    expect([...ACTIVE_STATES].sort()).toEqual(ALL.filter((s) => !isTerminal(s)).sort());
  });
});
