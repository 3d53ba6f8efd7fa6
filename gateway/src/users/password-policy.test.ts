import { describe, expect, it } from 'vitest';
import { checkPassword, refusalIssue } from './password-policy.ts';

describe('the password policy (docs/security.md § Users)', () => {
  it('accepts a few unrelated words of 12 characters or more, whatever their composition', async () => {
    expect(await checkPassword('fenster trockenbau mond', 'duisburg.neu')).toEqual({
      ok: true,
      refusals: [],
    });
    expect((await checkPassword('Trockenbau-Fenster-Mond', 'duisburg.neu')).ok).toBe(true);
  });

  it('refuses too short and too long, counting characters rather than UTF-16 units', async () => {
    expect((await checkPassword('Mond-Regen7', 'x.y')).refusals).toEqual(['password_too_short']);
    expect((await checkPassword('🌧'.repeat(12), 'x.y')).refusals).not.toContain('password_too_short');
    expect((await checkPassword('Fenster-'.repeat(17), 'x.y')).refusals).toContain('password_too_long');
  });

  it('refuses common passwords, also with digits, capitals and symbols, and keyboard walks', async () => {
    for (const pw of ['password1234', 'Password1234!', 'iloveyou1234', 'qwertzuiopasdf', 'aaaaaaaaaaaaaaa'])
      expect((await checkPassword(pw, 'duisburg.neu')).refusals, pw).toContain('password_common');
  });

  it('refuses the username and its longer parts', async () => {
    expect((await checkPassword('Gruss-duisburg.mueller-7', 'duisburg.mueller')).refusals).toContain(
      'password_contains_username',
    );
    expect((await checkPassword('Fenster-MUELLER-Mond', 'duisburg.mueller')).refusals).toContain(
      'password_contains_username',
    );
  });

  it('names each refusal by its stable code in the issue text', () => {
    expect(refusalIssue('password_common')).toMatch(/^newPassword: password_common: /);
  });
});
