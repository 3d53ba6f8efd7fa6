/**
 * The password policy (docs/security.md § Users): length over composition — 12 to 128 characters,
 * no character classes demanded — not a common or easily guessed password, and not containing the
 * username. "Common" is zxcvbn-ts with its common-password dictionary: a password it rates below 3
 * of 4 (under 10^8 guesses: a listed password, also with digits, l33t or reversed, a keyboard walk,
 * a repetition, a date) is refused. The check runs only on the server, where the dictionary is
 * loaded once.
 */
import { PASSWORD_POLICY, type PasswordRefusal } from '@lagebild/protocol';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

/** zxcvbn's score 3 = at least 10^8 guesses ("safely unguessable" online, with throttling). */
const MIN_SCORE = 3;

let zxcvbn: ZxcvbnFactory | undefined;
const estimator = (): ZxcvbnFactory => {
  zxcvbn ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  return zxcvbn;
};

export interface PasswordVerdict {
  ok: boolean;
  refusals: PasswordRefusal[];
}

const MESSAGES: Record<PasswordRefusal, string> = {
  password_too_short: `must be at least ${PASSWORD_POLICY.minLength} characters`,
  password_too_long: `must be at most ${PASSWORD_POLICY.maxLength} characters`,
  password_common: 'is a common password or too easy to guess; a few unrelated words make a good one',
  password_contains_username: 'must not contain the username',
};

/** `newPassword: <code>: <text>` for the 400's issues (the client words the code itself). */
export const refusalIssue = (r: PasswordRefusal): string => `newPassword: ${r}: ${MESSAGES[r]}`;

/** Checks a new password of `username` (length in characters, not UTF-16 units). */
export async function checkPassword(
  password: string,
  username: string,
  otherInputs: string[] = [],
): Promise<PasswordVerdict> {
  const length = [...password].length;
  const refusals: PasswordRefusal[] = [];
  if (length < PASSWORD_POLICY.minLength) refusals.push('password_too_short');
  if (length > PASSWORD_POLICY.maxLength) refusals.push('password_too_long');
  const lower = password.toLowerCase();
  const name = username.toLowerCase();
  // the whole name, and its parts (duisburg.mueller → "mueller") of 4 characters or more
  const parts = [name, ...name.split(/[._@-]/).filter((p) => p.length >= 4)];
  if (name.length >= 3 && parts.some((p) => lower.includes(p))) refusals.push('password_contains_username');
  if (length <= PASSWORD_POLICY.maxLength && length >= PASSWORD_POLICY.minLength) {
    const result = await estimator().check(password, [username, ...parts, ...otherInputs]);
    if (result.score < MIN_SCORE) refusals.push('password_common');
  }
  return { ok: refusals.length === 0, refusals };
}
