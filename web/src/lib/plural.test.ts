import { describe, expect, it } from 'vitest';
import {
  dictionaries,
  LANGUAGES,
  type MessageKey,
  type MessageParams,
  placeholdersOf,
  translate,
} from './i18n.ts';
import { plural, pluralKey } from './plural.ts';

const tr = (lang: 'de' | 'en') => (key: MessageKey, params?: MessageParams) => translate(lang, key, params);

describe('pluralKey()', () => {
  it.each(LANGUAGES)('%s: the singular for exactly one, the plural for 0, 2 and more', (lang) => {
    expect(pluralKey(lang, 'policies.days', 1)).toBe('policies.days.one');
    for (const n of [0, 2, 5, 1000]) expect(pluralKey(lang, 'policies.days', n)).toBe('policies.days');
  });
});

describe('plural()', () => {
  it('says "1 recording is" and "2 recordings are" (issue 12)', () => {
    expect(plural(tr('en'), 'en', 'policies.saved.shortened', 1, { count: 1 })).toBe(
      'Saved. 1 recording is now due earlier.',
    );
    expect(plural(tr('en'), 'en', 'policies.saved.shortened', 2, { count: 2 })).toBe(
      'Saved. 2 recordings are now due earlier.',
    );
    expect(plural(tr('de'), 'de', 'policies.saved.shortened', 1, { count: 1 })).toBe(
      'Gespeichert. 1 Aufzeichnung ist jetzt früher fällig.',
    );
  });

  it('counts by the number it is given, not by the first placeholder', () => {
    expect(plural(tr('de'), 'de', 'units.count', 1, { shown: 0, total: 1 })).toBe('0 von 1 Einheit');
    expect(plural(tr('en'), 'en', 'units.count', 4, { shown: 1, total: 4 })).toBe('1 of 4 units');
  });
});

describe('singular messages', () => {
  it.each(LANGUAGES)('%s: each `.one` has the placeholders of its plural', (lang) => {
    const d = dictionaries[lang] as Record<string, string>;
    for (const [key, one] of Object.entries(d).filter(([k]) => k.endsWith('.one'))) {
      const other = d[key.slice(0, -'.one'.length)];
      if (other === undefined) continue; // a `.one` key that is not a plural form (e.g. "one filter")
      expect(placeholdersOf(one), key).toEqual(placeholdersOf(other));
    }
  });
});
