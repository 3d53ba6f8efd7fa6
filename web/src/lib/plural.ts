/**
 * Counted messages in the right grammatical number ("1 recording", "2 recordings"; issue 12).
 * A message that depends on a count has its plural under its own key and its singular under the same
 * key with `.one`; `Intl.PluralRules` of the reader's language picks. German and English know only
 * "one" and "other"; a language with more forms would fall back to the plural until it has keys.
 */
import { type Language, localeOf, type MessageKey, type MessageParams, type Translate } from './i18n.ts';

/** Message keys that have a singular form beside them. */
export type PluralKey = {
  [K in MessageKey]: `${K}.one` extends MessageKey ? K : never;
}[MessageKey];

const rules = new Map<Language, Intl.PluralRules>();

/** The key of the form `count` needs: `key.one` for a singular, `key` otherwise. */
export function pluralKey(lang: Language, key: PluralKey, count: number): MessageKey {
  let r = rules.get(lang);
  if (!r) {
    r = new Intl.PluralRules(localeOf(lang));
    rules.set(lang, r);
  }
  return r.select(count) === 'one' ? (`${key}.one` as MessageKey) : key;
}

/** Translates a counted message: `count` chooses the form, `params` fill it. */
export function plural(
  t: Translate,
  lang: Language,
  key: PluralKey,
  count: number,
  params: MessageParams,
): string {
  return t(pluralKey(lang, key, count), params);
}
