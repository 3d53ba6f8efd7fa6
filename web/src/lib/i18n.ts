/**
 * All user-facing strings of the control room, German first (the product's working language) and
 * English. `en` is typed against the German keys, so a missing translation fails the type check; the
 * unit test checks the same at run time and that placeholders match.
 */

import { EVALUATION_DE, EVALUATION_EN } from './evaluation-i18n.ts';
import { DATES_DE, DATES_EN } from './i18n-dates.ts';
import { DISPATCH_DE, DISPATCH_EN } from './i18n-dispatch.ts';
import { POLICIES_DE, POLICIES_EN } from './i18n-policies.ts';
import { RECORDINGS_DE, RECORDINGS_EN } from './i18n-recordings.ts';
import { SHIFTS_DE, SHIFTS_EN } from './i18n-shifts.ts';
import { SIGN_IN_DE, SIGN_IN_EN } from './i18n-sign-in.ts';
import { VIDEO_DE, VIDEO_EN } from './i18n-video.ts';
import { USERS_DE, USERS_EN } from './users-i18n.ts';

export const LANGUAGES = ['de', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'de';

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

const de = {
  'app.name': 'Lagebild',
  'app.tagline': 'Leitstelle Ordnungsdienst',
  'app.loading': 'Lagebild wird geladen …',
  'app.skipToContent': 'Zum Inhalt springen',
  'app.error.network': 'Der Server ist nicht erreichbar. Bitte später erneut versuchen.',
  'app.error.generic': 'Unerwarteter Fehler: {message}',
  'app.retry': 'Erneut versuchen',

  'nav.main': 'Hauptnavigation',
  'nav.map': 'Lagekarte',
  'nav.devices': 'Geräte',

  'header.user': 'Angemeldet als {name} ({role})',
  'header.logout': 'Abmelden',
  'header.switchToLanguage': 'English',
  'header.darkTheme': 'Dunkles Design',

  'role.admin': 'Administration',
  'role.supervisor': 'Einsatzleitung',
  'role.operator': 'Leitstelle',
  'role.evaluator': 'Auswertung',

  'connection.label': 'Live-Verbindung',
  'connection.connecting': 'Verbinde …',
  'connection.live': 'Live',
  'connection.reconnecting': 'Verbindung unterbrochen, verbinde neu …',
  'connection.offline': 'Offline',
  'connection.banner.down':
    'Live-Daten unterbrochen seit {since}. Angezeigt wird der letzte bekannte Stand; die Verbindung wird automatisch wiederhergestellt.',
  'degraded.label': 'Eingeschränkter Betrieb',
  'degraded.alarm': 'Alarm',
  'degraded.since': 'seit {since}',
  'degraded.adminHint': 'Die Störung steht auch unter /metrics (lagebild_degraded).',
  'degraded.component.live': 'Live-Lagebild',
  'degraded.component.video': 'Video',
  'degraded.component.recordings': 'Aufzeichnungen',
  'degraded.component.database': 'Datenbank',
  'degraded.reason.redis_unreachable':
    'Redis nicht erreichbar: Einheiten anderer Server fehlen, Statusmeldungen werden weiter gespeichert',
  'degraded.reason.database_unreachable':
    'PostgreSQL nicht erreichbar: Statusmeldungen warten auf den Geräten und werden nachgetragen',
  'degraded.reason.persist_backlog': 'Speichern im Rückstand: Statusmeldungen werden verzögert bestätigt',
  'degraded.reason.sfu_unreachable': 'Videoserver nicht erreichbar: kein neues Live-Video',
  'degraded.reason.disk_full': 'Speicher fast voll: neue Aufzeichnungen werden angehalten',
  'degraded.reason.disk_unavailable': 'Ablage der Aufzeichnungen nicht lesbar',

  'login.title': 'Anmeldung',
  'login.intro': 'Melden Sie sich mit Ihrem Dienstkonto an.',
  'login.username': 'Benutzername',
  'login.password': 'Passwort',
  'login.submit': 'Anmelden',
  'login.submitting': 'Anmeldung läuft …',
  'login.error.invalid': 'Benutzername oder Passwort ist falsch.',
  'login.error.rateLimited': 'Zu viele Versuche. Bitte warten Sie einen Moment.',
  'login.error.required': 'Bitte Benutzername und Passwort eingeben.',

  'forbidden.title': 'Kein Zugriff',
  'forbidden.live':
    'Live-Daten (Karte, Einheiten, Video) stehen für Ihre Rolle „{role}“ nicht zur Verfügung. Kennzahlen finden Sie unter „Auswertung“.',
  'forbidden.admin': 'Diese Seite ist nur für die Administration zugänglich.',

  'stage.standby': 'Bereitschaft',
  'stage.display': 'Display an',
  'stage.recording': 'Aufzeichnung',
  'stage.emergency': 'Notruf',
  'stage.lost': 'Signal verloren',
  'stage.stale': 'Verzögert',
  'stage.all': 'Alle',

  'units.title': 'Einheiten',
  'units.search': 'Suche (Rufname, Team)',
  'units.searchPlaceholder': 'z. B. KOD Mitte',
  'units.team': 'Team',
  'units.team.all': 'Alle Teams',
  'units.filterStage': 'Nach Stufe filtern',
  'units.count': '{shown} von {total} Einheiten',
  'units.count.one': '{shown} von {total} Einheit',
  'units.empty': 'Keine Einheiten für diesen Filter.',
  'units.noLive': 'Noch keine Einheiten im Dienst.',
  'units.listLabel': 'Einheitenliste, Pfeiltasten zum Bewegen, Eingabe zum Auswählen',
  'units.noCallsign': 'ohne Rufname',

  'detail.title': 'Einheit',
  'detail.close': 'Auswahl aufheben',
  'detail.team': 'Team',
  'detail.stage': 'Stufe',
  'detail.since': 'seit {time} ({ago})',
  'detail.battery': 'Akku',
  'detail.signal': 'Signal',
  'detail.signalBars': '{bars} von 4 Balken',
  'detail.network': 'Netz',
  'detail.lastContact': 'Letzter Kontakt',
  'detail.accuracy': 'Genauigkeit',
  'detail.speed': 'Geschwindigkeit',
  'detail.device': 'Gerät',
  'detail.position': 'Position',
  'detail.noPosition': 'keine Position',
  'detail.announced': 'angekündigt',
  'detail.unannounced': 'nicht angekündigt',
  'detail.history': 'Stufenverlauf der Schicht',
  'detail.historyEmpty': 'Keine Stufenwechsel in dieser Schicht.',
  'detail.historyLoading': 'Verlauf wird geladen …',
  'detail.historyError': 'Verlauf konnte nicht geladen werden.',
  'detail.notLive': 'Für diese Einheit liegen keine Live-Daten vor.',
  'detail.shiftStarted': 'Schichtbeginn',
  'detail.centerMap': 'Auf Karte zeigen',
  'detail.unknown': 'unbekannt',

  'network.5g': '5G',
  'network.lte': 'LTE',
  'network.3g': '3G',
  'network.wifi': 'WLAN',
  'network.none': 'kein Netz',

  'events.title': 'Ereignisse',
  'events.empty': 'Noch keine Ereignisse seit dem Öffnen.',
  'events.toDisplay': '{unit}: Display eingeschaltet',
  'events.toRecording': '{unit}: Aufzeichnung gestartet',
  'events.toRecordingUnannounced': '{unit}: Aufzeichnung ohne Ankündigung gestartet ({reason})',
  'events.recordingStopped': '{unit}: Aufzeichnung beendet',
  'events.toStandby': '{unit}: zurück in Bereitschaft',
  'events.emergency': '{unit}: NOTRUF ausgelöst',
  'events.emergencyCleared': '{unit}: Notruf beendet',
  'events.dismiss': 'Meldung schließen',

  'map.label': 'Lagekarte',
  'map.legend': 'Legende',
  'map.noTiles': 'Ohne Kartenhintergrund',
  'map.sos': 'SOS',

  'time.justNow': 'gerade eben',
  'time.secondsAgo': 'vor {n} s',
  'time.minutesAgo': 'vor {n} min',
  'time.hoursAgo': 'vor {n} h',
  'time.daysAgo': 'vor {n} d',

  'devices.title': 'Geräte',
  'devices.intro': 'Bodycams dieser Kommune bereitstellen und sperren.',
  'devices.provision.title': 'Neues Gerät bereitstellen',
  'devices.provision.label': 'Bezeichnung',
  'devices.provision.hint': 'z. B. Seriennummer oder Inventarnummer, höchstens 64 Zeichen.',
  'devices.provision.submit': 'Bereitstellen',
  'devices.provision.submitting': 'Wird bereitgestellt …',
  'devices.secret.title': 'Geheimnis für „{label}“',
  'devices.secret.warning':
    'Dieses Geheimnis wird nur jetzt angezeigt und nicht gespeichert. Übertragen Sie es sofort auf das Gerät. Wer es kennt, kann sich als dieses Gerät ausgeben.',
  'devices.secret.copy': 'In die Zwischenablage kopieren',
  'devices.secret.copied': 'Kopiert.',
  'devices.secret.copyFailed': 'Kopieren nicht möglich. Bitte markieren und manuell kopieren.',
  'devices.secret.done': 'Ich habe das Geheimnis übertragen',
  'devices.deviceId': 'Geräte-ID',
  'devices.list.title': 'Alle Geräte',
  'devices.col.label': 'Bezeichnung',
  'devices.col.state': 'Status',
  'devices.col.created': 'Angelegt',
  'devices.col.lastSeen': 'Zuletzt gesehen',
  'devices.col.actions': 'Aktionen',
  'devices.state.active': 'aktiv',
  'devices.state.revoked': 'gesperrt',
  'devices.revokedAt': 'gesperrt am {time}',
  'devices.never': 'nie',
  'devices.empty': 'Noch keine Geräte bereitgestellt.',
  'devices.revoke': 'Sperren',
  'devices.revoke.label': 'Gerät „{label}“ sperren',
  'devices.revoke.title': 'Gerät sperren?',
  'devices.revoke.body':
    'Das Gerät „{label}“ wird sofort getrennt und kann sich nicht mehr anmelden. Das lässt sich nicht rückgängig machen; für eine erneute Nutzung muss es neu bereitgestellt werden.',
  'devices.revoke.confirm': 'Endgültig sperren',
  'devices.revoke.cancel': 'Abbrechen',
  'devices.revoked': 'Gerät „{label}“ wurde gesperrt.',
  'devices.loading': 'Geräte werden geladen …',

  ...DISPATCH_DE,
  ...VIDEO_DE,
  ...EVALUATION_DE,
  ...RECORDINGS_DE,
  ...POLICIES_DE,
  ...USERS_DE,
  ...SHIFTS_DE,
  ...SIGN_IN_DE,
  ...DATES_DE,
} as const;

export type MessageKey = keyof typeof de;

const en: Record<MessageKey, string> = {
  'app.name': 'Lagebild',
  'app.tagline': 'Public order control room',
  'app.loading': 'Loading Lagebild …',
  'app.skipToContent': 'Skip to content',
  'app.error.network': 'The server cannot be reached. Please try again later.',
  'app.error.generic': 'Unexpected error: {message}',
  'app.retry': 'Try again',

  'nav.main': 'Main navigation',
  'nav.map': 'Live map',
  'nav.devices': 'Devices',

  'header.user': 'Signed in as {name} ({role})',
  'header.logout': 'Sign out',
  'header.switchToLanguage': 'Deutsch',
  'header.darkTheme': 'Dark theme',

  'role.admin': 'Administrator',
  'role.supervisor': 'Supervisor',
  'role.operator': 'Operator',
  'role.evaluator': 'Evaluator',

  'connection.label': 'Live connection',
  'connection.connecting': 'Connecting …',
  'connection.live': 'Live',
  'connection.reconnecting': 'Connection lost, reconnecting …',
  'connection.offline': 'Offline',
  'connection.banner.down':
    'Live data interrupted since {since}. Showing the last known state; the connection recovers automatically.',
  'degraded.label': 'Degraded operation',
  'degraded.alarm': 'Alarm',
  'degraded.since': 'since {since}',
  'degraded.adminHint': 'The fault is also in /metrics (lagebild_degraded).',
  'degraded.component.live': 'Live feed',
  'degraded.component.video': 'Video',
  'degraded.component.recordings': 'Recordings',
  'degraded.component.database': 'Database',
  'degraded.reason.redis_unreachable':
    'Redis unreachable: units on other servers are missing, status is still stored',
  'degraded.reason.database_unreachable':
    'PostgreSQL unreachable: status waits on the devices and is written once it is back',
  'degraded.reason.persist_backlog': 'Storage behind: status is acknowledged late',
  'degraded.reason.sfu_unreachable': 'Video server unreachable: no new live video',
  'degraded.reason.disk_full': 'Storage nearly full: new recordings are stopped',
  'degraded.reason.disk_unavailable': 'Recordings storage cannot be read',

  'login.title': 'Sign in',
  'login.intro': 'Sign in with your service account.',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.submitting': 'Signing in …',
  'login.error.invalid': 'Username or password is wrong.',
  'login.error.rateLimited': 'Too many attempts. Please wait a moment.',
  'login.error.required': 'Please enter username and password.',

  'forbidden.title': 'No access',
  'forbidden.live':
    'Live data (map, units, video) is not available for your role “{role}”. Figures are under “Evaluation”.',
  'forbidden.admin': 'This page is only available to administrators.',

  'stage.standby': 'Standby',
  'stage.display': 'Display on',
  'stage.recording': 'Recording',
  'stage.emergency': 'Emergency',
  'stage.lost': 'Signal lost',
  'stage.stale': 'Delayed',
  'stage.all': 'All',

  'units.title': 'Units',
  'units.search': 'Search (call sign, team)',
  'units.searchPlaceholder': 'e.g. KOD Mitte',
  'units.team': 'Team',
  'units.team.all': 'All teams',
  'units.filterStage': 'Filter by stage',
  'units.count': '{shown} of {total} units',
  'units.count.one': '{shown} of {total} unit',
  'units.empty': 'No units match this filter.',
  'units.noLive': 'No units on duty yet.',
  'units.listLabel': 'Unit list, arrow keys to move, Enter to select',
  'units.noCallsign': 'no call sign',

  'detail.title': 'Unit',
  'detail.close': 'Clear selection',
  'detail.team': 'Team',
  'detail.stage': 'Stage',
  'detail.since': 'since {time} ({ago})',
  'detail.battery': 'Battery',
  'detail.signal': 'Signal',
  'detail.signalBars': '{bars} of 4 bars',
  'detail.network': 'Network',
  'detail.lastContact': 'Last contact',
  'detail.accuracy': 'Accuracy',
  'detail.speed': 'Speed',
  'detail.device': 'Device',
  'detail.position': 'Position',
  'detail.noPosition': 'no position',
  'detail.announced': 'announced',
  'detail.unannounced': 'not announced',
  'detail.history': 'Stage history of this shift',
  'detail.historyEmpty': 'No stage changes in this shift.',
  'detail.historyLoading': 'Loading history …',
  'detail.historyError': 'The history could not be loaded.',
  'detail.notLive': 'No live data for this unit.',
  'detail.shiftStarted': 'Shift started',
  'detail.centerMap': 'Show on map',
  'detail.unknown': 'unknown',

  'network.5g': '5G',
  'network.lte': 'LTE',
  'network.3g': '3G',
  'network.wifi': 'Wi-Fi',
  'network.none': 'no network',

  'events.title': 'Events',
  'events.empty': 'No events since this page was opened.',
  'events.toDisplay': '{unit}: display switched on',
  'events.toRecording': '{unit}: recording started',
  'events.toRecordingUnannounced': '{unit}: unannounced recording started ({reason})',
  'events.recordingStopped': '{unit}: recording stopped',
  'events.toStandby': '{unit}: back to standby',
  'events.emergency': '{unit}: EMERGENCY raised',
  'events.emergencyCleared': '{unit}: emergency cleared',
  'events.dismiss': 'Dismiss alert',

  'map.label': 'Live map',
  'map.legend': 'Legend',
  'map.noTiles': 'No map background',
  'map.sos': 'SOS',

  'time.justNow': 'just now',
  'time.secondsAgo': '{n} s ago',
  'time.minutesAgo': '{n} min ago',
  'time.hoursAgo': '{n} h ago',
  'time.daysAgo': '{n} d ago',

  'devices.title': 'Devices',
  'devices.intro': 'Provision and revoke this municipality’s body cameras.',
  'devices.provision.title': 'Provision a new device',
  'devices.provision.label': 'Label',
  'devices.provision.hint': 'e.g. serial or inventory number, at most 64 characters.',
  'devices.provision.submit': 'Provision',
  'devices.provision.submitting': 'Provisioning …',
  'devices.secret.title': 'Secret for “{label}”',
  'devices.secret.warning':
    'This secret is shown only now and is not stored. Transfer it to the device right away. Anyone who knows it can act as this device.',
  'devices.secret.copy': 'Copy to clipboard',
  'devices.secret.copied': 'Copied.',
  'devices.secret.copyFailed': 'Copying is not possible. Please select and copy it manually.',
  'devices.secret.done': 'I have transferred the secret',
  'devices.deviceId': 'Device ID',
  'devices.list.title': 'All devices',
  'devices.col.label': 'Label',
  'devices.col.state': 'State',
  'devices.col.created': 'Created',
  'devices.col.lastSeen': 'Last seen',
  'devices.col.actions': 'Actions',
  'devices.state.active': 'active',
  'devices.state.revoked': 'revoked',
  'devices.revokedAt': 'revoked on {time}',
  'devices.never': 'never',
  'devices.empty': 'No devices provisioned yet.',
  'devices.revoke': 'Revoke',
  'devices.revoke.label': 'Revoke device “{label}”',
  'devices.revoke.title': 'Revoke device?',
  'devices.revoke.body':
    'The device “{label}” is disconnected at once and can no longer sign in. This cannot be undone; to use it again it must be provisioned anew.',
  'devices.revoke.confirm': 'Revoke for good',
  'devices.revoke.cancel': 'Cancel',
  'devices.revoked': 'Device “{label}” was revoked.',
  'devices.loading': 'Loading devices …',

  ...DISPATCH_EN,
  ...VIDEO_EN,
  ...EVALUATION_EN,
  ...RECORDINGS_EN,
  ...POLICIES_EN,
  ...USERS_EN,
  ...SHIFTS_EN,
  ...SIGN_IN_EN,
  ...DATES_EN,
};

export const dictionaries: Record<Language, Record<MessageKey, string>> = { de, en };

export type MessageParams = Record<string, string | number>;

/** Looks up `key` and fills `{name}` placeholders; an unknown placeholder stays visible on purpose. */
export function translate(lang: Language, key: MessageKey, params?: MessageParams): string {
  const template = dictionaries[lang][key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}

/** Placeholder names used in a template, sorted; the test uses it to compare languages. */
export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
}

/** BCP 47 tag for Intl formatters. */
export function localeOf(lang: Language): string {
  return lang === 'de' ? 'de-DE' : 'en-GB';
}

export type Translate = (key: MessageKey, params?: MessageParams) => string;
