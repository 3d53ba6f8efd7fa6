import { AuditAction } from '@lagebild/protocol';
import { describe, expect, it } from 'vitest';
import { AUDIT_ACTION_LABELS, auditActionText, auditLabelText, LIVE_WATCH_PHASES } from './audit-labels.ts';
import { dictionaries, LANGUAGES, type MessageKey, translate } from './i18n.ts';

const tr = (lang: 'de' | 'en') => (key: MessageKey, params?: Record<string, string | number>) =>
  translate(lang, key, params);

describe('audit action labels', () => {
  it('names every value of AuditAction in every language, none left as its code', () => {
    // a new action in packages/protocol without a label here fails this test
    expect(Object.keys(AUDIT_ACTION_LABELS).sort()).toEqual([...AuditAction.options].sort());
    for (const action of AuditAction.options) {
      for (const lang of LANGUAGES) {
        const text = dictionaries[lang][AUDIT_ACTION_LABELS[action]];
        expect(text, `${lang} ${action}`).toBeTruthy();
        expect(text, `${lang} ${action}`).not.toBe(action);
      }
    }
  });

  it('tells the phases of a live watch apart', () => {
    const t = tr('de');
    expect(Object.keys(LIVE_WATCH_PHASES).sort()).toEqual(['authorised', 'ended', 'started']);
    expect(auditActionText({ action: 'live_watch', payload: { phase: 'authorised' } }, t)).toBe(
      'Livebild freigegeben',
    );
    expect(auditActionText({ action: 'live_watch', payload: { phase: 'ended' } }, tr('en'))).toBe(
      'Live view watched: end',
    );
    expect(auditActionText({ action: 'live_watch', payload: null }, t)).toBe('Livebild');
    expect(auditActionText({ action: 'recording_sealed', payload: null }, t)).toBe('Aufzeichnung versiegelt');
  });

  it('leaves an action this build does not know as its code', () => {
    expect(auditActionText({ action: 'something_new', payload: null }, tr('de'))).toBe('something_new');
    expect(auditActionText({ action: 'toString', payload: null }, tr('de'))).toBe('toString');
  });
});

describe('audit actor and target names', () => {
  it('reads devices, recordings, users and system components', () => {
    const t = tr('de');
    expect(auditLabelText({ kind: 'device', label: 'BWC-07', unit: 'KOD Mitte 3' }, t, 'de')).toBe(
      'BWC-07 (KOD Mitte 3)',
    );
    expect(auditLabelText({ kind: 'device', label: 'BWC-07' }, t, 'de')).toBe('BWC-07');
    expect(
      auditLabelText(
        { kind: 'recording', label: 'BWC-07', unit: 'KOD Mitte 3', startedAt: Date.UTC(2026, 2, 12, 13, 2) },
        t,
        'de',
      ),
    ).toMatch(/^Aufzeichnung BWC-07 \(KOD Mitte 3\), 12\.03\.26/);
    expect(auditLabelText({ kind: 'user', label: 'Erika Muster' }, t, 'de')).toBe('Erika Muster');
    expect(auditLabelText({ kind: 'system', label: 'retention' }, t, 'de')).toBe('System: Löschfristen');
    expect(auditLabelText({ kind: 'system', label: 'sweeper' }, tr('en'), 'en')).toBe('System: sweeper');
  });
});
