/**
 * Strings of the policies page (/admin/policies/), German and English. Spread into the dictionaries
 * of i18n.ts like the recordings strings; the key-parity test covers them.
 */

export const POLICIES_DE = {
  'nav.policies': 'Richtlinien',

  'policies.title': 'Richtlinien',
  'policies.intro':
    'Regeln dieser Kommune für Aufzeichnungen, Einsätze und Alarme. Jede Änderung wird mit altem und neuem Wert und dem Grund protokolliert.',
  'policies.loading': 'Richtlinien werden geladen …',
  'policies.lastChange': 'Zuletzt geändert am {time} von {actor}: „{reason}“',
  'policies.neverChanged': 'Auf dieser Seite noch nie geändert (Voreinstellungen).',
  'policies.form.title': 'Richtlinien ändern',
  'policies.section.recordings': 'Aufzeichnungen',
  'policies.section.incidents': 'Einsätze und Alarme',
  'policies.retentionDays': 'Löschfrist (Tage)',
  'policies.retentionDays.hint':
    '{min}–{max} Tage; gesetzlich höchstens 14 Tage, sofern nicht als Beweismittel gesichert. Eine kürzere Frist gilt sofort auch für vorhandene Aufzeichnungen der Regelfrist (Beweismittel und genehmigte Verlängerungen bleiben). Eine längere Frist gilt nur für neue Aufzeichnungen; vorhandene länger aufzubewahren geht nur über die Verlängerung im Vier-Augen-Verfahren.',
  'policies.prerecordS': 'Vorlauf (Pre-Recording, Sekunden)',
  'policies.prerecordS.hint':
    '0 = aus (Voreinstellung), höchstens {max} s. Nur einschalten, wo das Landesrecht es erlaubt; üblich sind 30–60 s.',
  'policies.autoIncidentOn': 'Einsatz automatisch eröffnen bei',
  'policies.autoIncidentOn.hint': 'Ein Einsatz kann jederzeit auch von Hand eröffnet werden.',
  'policies.trigger.emergency': 'Notruf eines Geräts',
  'policies.trigger.recording': 'Start einer Aufzeichnung',
  'policies.alertEscalateAfterS': 'Alarm eskaliert nach (Sekunden)',
  'policies.alertEscalateAfterS.hint': '{min}–{max} s ohne Quittierung, dann wird der Alarm erneut gemeldet.',
  'policies.dispatchAnswerTimeoutS': 'Antwortzeit einer Anforderung (Sekunden)',
  'policies.dispatchAnswerTimeoutS.hint':
    '{min}–{max} s; antwortet das Gerät nicht, gilt die Anforderung als unbeantwortet.',
  'policies.reason': 'Grund der Änderung',
  'policies.reason.hint': '5–500 Zeichen, z. B. Dienstanweisung oder Beschluss. Wird protokolliert.',
  'policies.submit': 'Speichern …',
  'policies.reset': 'Zurücksetzen',
  'policies.error.range': '{field}: bitte eine ganze Zahl von {min} bis {max} angeben.',
  'policies.error.reason': 'Bitte einen Grund mit 5 bis 500 Zeichen angeben.',
  'policies.error.nothing': 'Es wurde nichts geändert.',
  'policies.error.summary': 'Bitte die markierten Felder korrigieren.',
  'policies.error.server': 'Nicht gespeichert: {message}',
  'policies.confirm.title': 'Richtlinien ändern?',
  'policies.confirm.body': 'Folgende Werte werden geändert:',
  'policies.confirm.change': '{field}: {old} → {new}',
  'policies.confirm.shorter':
    'Die Löschfrist wird kürzer: vorhandene Aufzeichnungen der Regelfrist werden sofort früher fällig; was danach überfällig ist, löscht der nächste Löschlauf endgültig.',
  'policies.confirm.longer':
    'Die Löschfrist wird länger: das gilt nur für neue Aufzeichnungen. Vorhandene behalten ihre Löschfrist.',
  'policies.confirm.save': 'Ändern',
  'policies.confirm.cancel': 'Abbrechen',
  'policies.saving': 'Wird gespeichert …',
  'policies.saved': 'Gespeichert.',
  'policies.saved.shortened': 'Gespeichert. {count} Aufzeichnungen sind jetzt früher fällig.',
  'policies.saved.shortened.one': 'Gespeichert. {count} Aufzeichnung ist jetzt früher fällig.',
  'policies.off': 'aus',
  'policies.none': 'keine',
  'policies.seconds': '{n} s',
  'policies.days': '{n} Tage',
  'policies.days.one': '{n} Tag',
} as const;

export const POLICIES_EN: Record<keyof typeof POLICIES_DE, string> = {
  'nav.policies': 'Policies',

  'policies.title': 'Policies',
  'policies.intro':
    'This municipality’s rules for recordings, incidents and alerts. Every change is audited with its old and new values and the reason.',
  'policies.loading': 'Loading policies …',
  'policies.lastChange': 'Last changed on {time} by {actor}: “{reason}”',
  'policies.neverChanged': 'Never changed on this page (defaults).',
  'policies.form.title': 'Change policies',
  'policies.section.recordings': 'Recordings',
  'policies.section.incidents': 'Incidents and alerts',
  'policies.retentionDays': 'Retention period (days)',
  'policies.retentionDays.hint':
    '{min}–{max} days; by law at most 14 days unless kept as evidence. A shorter period applies at once to existing standard recordings too (evidence and approved extensions stay). A longer period applies to new recordings only; keeping existing ones longer needs the four-eyes extension.',
  'policies.prerecordS': 'Pre-recording (seconds)',
  'policies.prerecordS.hint':
    '0 = off (the default), at most {max} s. Only enable it where the state’s law allows it; 30–60 s is typical.',
  'policies.autoIncidentOn': 'Open an incident automatically on',
  'policies.autoIncidentOn.hint': 'An incident can always be opened by hand as well.',
  'policies.trigger.emergency': 'a device’s emergency call',
  'policies.trigger.recording': 'the start of a recording',
  'policies.alertEscalateAfterS': 'Alert escalates after (seconds)',
  'policies.alertEscalateAfterS.hint':
    '{min}–{max} s without acknowledgement, then the alert is raised again.',
  'policies.dispatchAnswerTimeoutS': 'Answer time of a dispatch request (seconds)',
  'policies.dispatchAnswerTimeoutS.hint':
    '{min}–{max} s; if the device does not answer, the request counts as unanswered.',
  'policies.reason': 'Reason for the change',
  'policies.reason.hint': '5–500 characters, e.g. a service instruction or decision. It is audited.',
  'policies.submit': 'Save …',
  'policies.reset': 'Reset',
  'policies.error.range': '{field}: please enter a whole number from {min} to {max}.',
  'policies.error.reason': 'Please give a reason of 5 to 500 characters.',
  'policies.error.nothing': 'Nothing has been changed.',
  'policies.error.summary': 'Please correct the marked fields.',
  'policies.error.server': 'Not saved: {message}',
  'policies.confirm.title': 'Change policies?',
  'policies.confirm.body': 'These values will change:',
  'policies.confirm.change': '{field}: {old} → {new}',
  'policies.confirm.shorter':
    'The retention period gets shorter: existing standard recordings become due earlier at once; whatever is then overdue is deleted for good by the next deletion run.',
  'policies.confirm.longer':
    'The retention period gets longer: this applies to new recordings only. Existing ones keep their deletion time.',
  'policies.confirm.save': 'Change',
  'policies.confirm.cancel': 'Cancel',
  'policies.saving': 'Saving …',
  'policies.saved': 'Saved.',
  'policies.saved.shortened': 'Saved. {count} recordings are now due earlier.',
  'policies.saved.shortened.one': 'Saved. {count} recording is now due earlier.',
  'policies.off': 'off',
  'policies.none': 'none',
  'policies.seconds': '{n} s',
  'policies.days': '{n} days',
  'policies.days.one': '{n} day',
};
