import { describe, expect, it } from 'vitest';
import { dictionaries, isLanguage, LANGUAGES, placeholdersOf, translate } from './i18n.ts';

describe('i18n dictionaries', () => {
  const [first, ...rest] = LANGUAGES;
  const reference = dictionaries[first];

  it.each(rest)('%s has exactly the same keys as de', (lang) => {
    expect(Object.keys(dictionaries[lang]).sort()).toEqual(Object.keys(reference).sort());
  });

  it.each(rest)('%s uses the same placeholders as de in every message', (lang) => {
    for (const [key, template] of Object.entries(reference)) {
      const other = dictionaries[lang][key as keyof typeof reference];
      expect(placeholdersOf(other), key).toEqual(placeholdersOf(template));
    }
  });

  it('has no empty message in any language', () => {
    for (const lang of LANGUAGES) {
      for (const [key, text] of Object.entries(dictionaries[lang]))
        expect(text.trim(), `${lang} ${key}`).not.toBe('');
    }
  });
});

describe('translate()', () => {
  it('fills placeholders', () => {
    expect(translate('de', 'events.toRecording', { unit: 'KOD Mitte 3' })).toBe(
      'KOD Mitte 3: Aufzeichnung gestartet',
    );
    expect(translate('en', 'units.count', { shown: 3, total: 10 })).toBe('3 of 10 units');
  });

  it('leaves an unknown placeholder visible instead of printing undefined', () => {
    expect(translate('de', 'events.toRecording')).toBe('{unit}: Aufzeichnung gestartet');
  });

  it('recognises supported languages only', () => {
    expect(isLanguage('de')).toBe(true);
    expect(isLanguage('fr')).toBe(false);
    expect(isLanguage(null)).toBe(false);
  });
});
