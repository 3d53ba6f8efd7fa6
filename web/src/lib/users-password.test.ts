import { describe, expect, it } from 'vitest';
import { localRefusals, refusalsIn } from './users-password.ts';

describe('the first-login password form', () => {
  it('reads the gateway’s refusal codes from its issues', () => {
    expect(
      refusalsIn([
        'newPassword: password_common: is a common password',
        'newPassword: password_contains_username: must not contain the username',
      ]),
    ).toEqual(['password_common', 'password_contains_username']);
    expect(refusalsIn(['username: wrong'])).toEqual([]);
  });

  it('refuses short passwords, the username and two entries that differ before sending', () => {
    expect(localRefusals('kurz', 'kurz', 'duisburg.neu')).toEqual(['password.error.password_too_short']);
    expect(localRefusals('Duisburg.Neu-Fenster', 'Duisburg.Neu-Fenster', 'duisburg.neu')).toEqual([
      'password.error.password_contains_username',
    ]);
    expect(localRefusals('Fenster-Mond-Regen', 'Fenster-Mond-Regel', 'duisburg.neu')).toEqual([
      'password.error.mismatch',
    ]);
    expect(localRefusals('Fenster-Mond-Regen', 'Fenster-Mond-Regen', 'duisburg.neu')).toEqual([]);
  });
});
