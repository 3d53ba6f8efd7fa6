/**
 * Strings of the date and date-time fields (components/date-field.tsx): the format each language
 * writes, shown beside the label, and what is wrong with a typed date. German and English; spread
 * into the dictionaries of i18n.ts, the key-parity test covers them.
 */

export const DATES_DE = {
  'date.format.date': 'TT.MM.JJJJ',
  'date.format.dateTime': 'TT.MM.JJJJ HH:MM',
  'date.error.required': 'Bitte ein Datum eingeben ({format}).',
  'date.error.format': 'Bitte im Format {format} eingeben, zum Beispiel {example}.',
  'date.error.day': 'Diesen Tag gibt es nicht: {text}.',
  'date.error.time': 'Keine gültige Uhrzeit: bitte 00:00 bis 23:59.',
  'date.keys': 'Pfeiltasten hoch und runter: einen Tag vor oder zurück.',
} as const;

export const DATES_EN: Record<keyof typeof DATES_DE, string> = {
  'date.format.date': 'DD/MM/YYYY',
  'date.format.dateTime': 'DD/MM/YYYY HH:MM',
  'date.error.required': 'Please enter a date ({format}).',
  'date.error.format': 'Please enter it as {format}, for example {example}.',
  'date.error.day': 'There is no such day: {text}.',
  'date.error.time': 'Not a valid time: please 00:00 to 23:59.',
  'date.keys': 'Arrow keys up and down: one day later or earlier.',
};
