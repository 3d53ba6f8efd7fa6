'use client';
/**
 * A date, or a date and time, typed in the UI's language whatever the browser's locale (issue 15):
 * TT.MM.JJJJ [HH:MM] in German, DD/MM/YYYY [HH:MM] in English (lib/date-input.ts). The page gets
 * the ISO value a native input would give (YYYY-MM-DD or YYYY-MM-DDTHH:MM), and '' while the field
 * is empty or wrong. The format is part of the label. What is wrong (31.02., 24:10, another format)
 * is said below the field once it is left or its form is submitted, and the same sentence blocks
 * the form through constraint validation, so nobody submits the previous value by mistake. Arrow up
 * and down step a valid date by a day.
 */
import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { type DateKind, type DateParse, formatDateText, parseDateText, shiftDays } from '@/lib/date-input';
import type { Language, Translate } from '@/lib/i18n';
import { usePreferences } from './preferences-provider';
import './date-field.css';

const EXAMPLE = '2026-12-24T18:30';

export function DateField({
  id,
  label,
  kind = 'date',
  value,
  onChange,
  required = false,
}: {
  id: string;
  label: string;
  kind?: DateKind;
  /** YYYY-MM-DD, or YYYY-MM-DDTHH:MM for kind 'dateTime'; '' for none */
  value: string;
  onChange(iso: string): void;
  required?: boolean;
}) {
  const { t, lang } = usePreferences();
  const [text, setText] = useState(() => formatDateText(value, kind, lang));
  const [showProblem, setShowProblem] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  // the value and language the text was written for: a change from outside (a reset, the other
  // language) rewrites the text; the page echoing what this field just sent does not
  const written = useRef({ value, lang });
  useEffect(() => {
    if (written.current.value === value && written.current.lang === lang) return;
    written.current = { value, lang };
    setText(formatDateText(value, kind, lang));
    setShowProblem(false);
  }, [value, lang, kind]);

  const problem = problemOf(parseDateText(text, kind, lang), { text, kind, required, t, lang });
  useEffect(() => input.current?.setCustomValidity(problem ?? ''), [problem]);

  function emit(iso: string) {
    written.current = { value: iso, lang };
    if (iso !== value) onChange(iso);
  }
  function change(next: string) {
    setText(next);
    const parsed = parseDateText(next, kind, lang);
    // reward early: a shown problem goes as soon as the text is right, and comes back only on leaving
    if (parsed.ok) setShowProblem(false);
    emit(parsed.ok ? parsed.iso : '');
  }
  function step(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
    const parsed = parseDateText(text, kind, lang);
    if (!parsed.ok) return;
    e.preventDefault();
    const iso = shiftDays(parsed.iso, e.key === 'ArrowUp' ? 1 : -1);
    setText(formatDateText(iso, kind, lang));
    emit(iso);
  }

  const shown = showProblem ? problem : null;
  return (
    <div className="field field-compact date-field">
      <label htmlFor={id}>
        {label} <span className="date-field-format">{formatOf(kind, t)}</span>
      </label>
      <input
        ref={input}
        id={id}
        type="text"
        value={text}
        required={required}
        size={kind === 'date' ? 10 : 16}
        autoComplete="off"
        spellCheck={false}
        aria-invalid={shown ? true : undefined}
        aria-describedby={`${id}-keys ${id}-problem`}
        onChange={(e) => change(e.target.value)}
        onKeyDown={step}
        onBlur={() => setShowProblem(text.trim() !== '')}
        onInvalid={() => setShowProblem(true)}
      />
      <span id={`${id}-keys`} className="visually-hidden">
        {t('date.keys')}
      </span>
      <span id={`${id}-problem`} role="alert" className="form-error date-field-problem">
        {shown}
      </span>
    </div>
  );
}

const formatOf = (kind: DateKind, t: Translate) =>
  t(kind === 'date' ? 'date.format.date' : 'date.format.dateTime');

function problemOf(
  parsed: DateParse,
  c: { text: string; kind: DateKind; required: boolean; t: Translate; lang: Language },
): string | null {
  if (parsed.ok) return null;
  const format = formatOf(c.kind, c.t);
  switch (parsed.reason) {
    case 'empty':
      return c.required ? c.t('date.error.required', { format }) : null;
    case 'format':
      return c.t('date.error.format', { format, example: formatDateText(EXAMPLE, c.kind, c.lang) });
    case 'day':
      return c.t('date.error.day', { text: c.text.trim() });
    case 'time':
      return c.t('date.error.time');
  }
}
