/**
 * Strings of the live video wall (issue 5), German and English. Spread into the dictionaries of
 * i18n.ts like the dispatch strings; the key-parity test covers them.
 */

export const VIDEO_DE = {
  'video.wall.title': 'Videowand',
  'video.wall.layout': 'Aufteilung der Videowand',
  'video.wall.layout.1': '1 Bild',
  'video.wall.layout.4': '4 Bilder',
  'video.wall.layout.9': '9 Bilder',
  'video.wall.hidden': 'Ausgeblendet',
  'video.wall.available': 'Weitere Livebilder',
  'video.wall.show': '{unit} zeigen',
  'video.wall.empty': 'Kein Livebild geöffnet.',
  'video.wall.audit': 'Jede Live-Betrachtung wird protokolliert.',

  'video.open': 'Livebild ansehen',
  'video.openLabel': 'Livebild {unit} ansehen',

  'video.tile.label': 'Livebild {unit}',
  'video.tile.since': 'seit {duration}',
  'video.tile.sinceLabel': 'Aufzeichnung läuft seit {duration}',
  'video.tile.sound': 'Ton',
  'video.tile.soundLabel': 'Ton von {unit}',
  'video.tile.fullscreen': 'Vollbild',
  'video.tile.fullscreenLabel': 'Livebild {unit} im Vollbild',
  'video.tile.close': 'Schließen',
  'video.tile.closeLabel': 'Livebild {unit} schließen (die Aufzeichnung läuft weiter)',
  'video.tile.reason': 'Grund: {reason}',
  'video.tile.waiting': 'Warte auf Bild …',

  'video.state.connecting': 'Verbinde …',
  'video.state.live': 'Live',
  'video.state.reconnecting': 'Verbindung wird wiederhergestellt …',
  'video.state.ended': 'Übertragung beendet',
  'video.state.refused':
    'Kein Zugriff auf dieses Livebild: Das Gerät gehört nicht zu Ihrer Organisation oder Ihre Rolle darf es nicht sehen.',
  'video.state.failed': 'Livebild nicht verfügbar: {message}',

  'video.reason.incident': 'Einsatz {number}',
  'video.reason.incidentUnknown': 'Einsatz',
  'video.reason.emergency': 'Notlage, Gefahr für Leib oder Leben',
  'video.reason.officer_safety': 'Eigensicherung der Einsatzkräfte',
  'video.reason.situation_assessment': 'Lagebeurteilung',
  'video.reason.other': 'Sonstiger Grund',

  'video.reasonDialog.title': 'Livebild {unit} ansehen',
  'video.reasonDialog.intro':
    'Jede Live-Betrachtung wird mit Ihrem Namen, der Einheit, Beginn und Ende und dem Grund protokolliert (§ 76 BDSG).',
  'video.reasonDialog.legend': 'Grund der Betrachtung',
  'video.reasonDialog.text': 'Erläuterung',
  'video.reasonDialog.textOptional': 'Erläuterung (optional)',
  'video.reasonDialog.textRequired': 'Bitte den Grund kurz beschreiben.',
  'video.reasonDialog.submit': 'Livebild öffnen',
  'video.reasonDialog.cancel': 'Abbrechen',

  'video.talk.button': 'Sprechen',
  'video.talk.label': 'Zu {unit} sprechen (gedrückt halten)',
  'video.talk.hint': 'Gedrückt halten, um über die Kamera zu sprechen (auch Leertaste oder Eingabetaste)',
  'video.talk.starting': 'Mikrofon wird verbunden …',
  'video.talk.speaking': 'Sie sprechen mit {unit}',
  'video.talk.error.mic_denied':
    'Mikrofon nicht freigegeben: Bitte den Zugriff auf das Mikrofon im Browser erlauben.',
  'video.talk.error.no_mic': 'Kein Mikrofon gefunden, oder ein anderes Programm benutzt es.',
  'video.talk.error.busy': 'Gerade spricht jemand anderes mit {unit}. Bitte danach erneut drücken.',
  'video.talk.error.not_live':
    '{unit} überträgt gerade nicht: Sprechen ist nur bei laufendem Livebild möglich.',
  'video.talk.error.forbidden':
    'Sprechen nicht erlaubt: Nur Leitstelle und Einsatzleitung sprechen zu Einheiten.',
  'video.talk.error.failed': 'Sprechen nicht möglich: {message}',

  'video.announce.opened': 'Livebild {unit} geöffnet',
  'video.announce.refused': 'Livebild {unit}: kein Zugriff',
} as const;

export const VIDEO_EN: Record<keyof typeof VIDEO_DE, string> = {
  'video.wall.title': 'Video wall',
  'video.wall.layout': 'Video wall layout',
  'video.wall.layout.1': '1 picture',
  'video.wall.layout.4': '4 pictures',
  'video.wall.layout.9': '9 pictures',
  'video.wall.hidden': 'Hidden',
  'video.wall.available': 'More live streams',
  'video.wall.show': 'Show {unit}',
  'video.wall.empty': 'No live stream open.',
  'video.wall.audit': 'Every live watch is logged.',

  'video.open': 'Watch live',
  'video.openLabel': 'Watch {unit} live',

  'video.tile.label': 'Live picture {unit}',
  'video.tile.since': 'for {duration}',
  'video.tile.sinceLabel': 'Recording for {duration}',
  'video.tile.sound': 'Sound',
  'video.tile.soundLabel': 'Sound of {unit}',
  'video.tile.fullscreen': 'Full screen',
  'video.tile.fullscreenLabel': 'Live picture {unit} full screen',
  'video.tile.close': 'Close',
  'video.tile.closeLabel': 'Close live picture {unit} (the recording continues)',
  'video.tile.reason': 'Reason: {reason}',
  'video.tile.waiting': 'Waiting for picture …',

  'video.state.connecting': 'Connecting …',
  'video.state.live': 'Live',
  'video.state.reconnecting': 'Reconnecting …',
  'video.state.ended': 'Stream ended',
  'video.state.refused':
    'No access to this live picture: the device does not belong to your organisation or your role may not see it.',
  'video.state.failed': 'Live picture unavailable: {message}',

  'video.reason.incident': 'Incident {number}',
  'video.reason.incidentUnknown': 'Incident',
  'video.reason.emergency': 'Emergency, danger to life or limb',
  'video.reason.officer_safety': 'Safety of the officers',
  'video.reason.situation_assessment': 'Assessment of the situation',
  'video.reason.other': 'Other reason',

  'video.reasonDialog.title': 'Watch {unit} live',
  'video.reasonDialog.intro':
    'Every live watch is logged with your name, the unit, start and end and the reason (§ 76 BDSG).',
  'video.reasonDialog.legend': 'Reason for watching',
  'video.reasonDialog.text': 'Explanation',
  'video.reasonDialog.textOptional': 'Explanation (optional)',
  'video.reasonDialog.textRequired': 'Please describe the reason briefly.',
  'video.reasonDialog.submit': 'Open live picture',
  'video.reasonDialog.cancel': 'Cancel',

  'video.talk.button': 'Talk',
  'video.talk.label': 'Talk to {unit} (press and hold)',
  'video.talk.hint': 'Press and hold to talk through the camera (Space or Enter work too)',
  'video.talk.starting': 'Connecting microphone …',
  'video.talk.speaking': 'You are talking to {unit}',
  'video.talk.error.mic_denied': 'Microphone not allowed: please allow microphone access in the browser.',
  'video.talk.error.no_mic': 'No microphone found, or another program is using it.',
  'video.talk.error.busy': 'Someone else is talking to {unit}. Press again when they are done.',
  'video.talk.error.not_live': '{unit} is not streaming: talking needs a running live picture.',
  'video.talk.error.forbidden': 'Talking not allowed: only operators and supervisors talk to units.',
  'video.talk.error.failed': 'Talking not possible: {message}',

  'video.announce.opened': 'Live picture {unit} opened',
  'video.announce.refused': 'Live picture {unit}: no access',
};
