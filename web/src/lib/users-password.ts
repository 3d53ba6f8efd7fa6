/**
 * The password policy as the first-login form words it: the gateway's refusal codes
 * (`newPassword: <code>: …` in a 400's issues) turned into message keys, and the checks the form
 * can make before sending (length, the two entries matching). Whether a password is common is the
 * gateway's call alone: the dictionary stays on the server.
 */
import { PASSWORD_POLICY, PasswordRefusal } from '@lagebild/protocol';
import type { MessageKey } from './i18n.ts';

export const REFUSAL_KEYS: Record<PasswordRefusal, MessageKey> = {
  password_too_short: 'password.error.password_too_short',
  password_too_long: 'password.error.password_too_long',
  password_common: 'password.error.password_common',
  password_contains_username: 'password.error.password_contains_username',
};

/** The refusal codes named in a 400's issues, in the policy's order. */
export function refusalsIn(issues: readonly string[]): PasswordRefusal[] {
  return PasswordRefusal.options.filter((code) => issues.some((i) => i.includes(code)));
}

/** What the form can tell before asking the gateway; empty when nothing is wrong yet. */
export function localRefusals(password: string, repeat: string, username: string): MessageKey[] {
  const keys: MessageKey[] = [];
  const length = [...password].length;
  if (length < PASSWORD_POLICY.minLength) keys.push(REFUSAL_KEYS.password_too_short);
  if (length > PASSWORD_POLICY.maxLength) keys.push(REFUSAL_KEYS.password_too_long);
  const name = username.trim().toLowerCase();
  if (name.length >= 3 && password.toLowerCase().includes(name))
    keys.push(REFUSAL_KEYS.password_contains_username);
  if (password !== repeat) keys.push('password.error.mismatch');
  return keys;
}
