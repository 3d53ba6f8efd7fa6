/**
 * Strings of sign-in beyond the password (issue 15): the second factor at login and its enrolment,
 * "Anmelden mit <Anbieter>", the refusals of the identity provider, and the admin's sign-in settings
 * page (/admin/sign-in/); German and English. Spread into the dictionaries of i18n.ts.
 */

export const SIGN_IN_DE = {
  'login.error.passwordOff':
    'In Ihrer Kommune melden Sie sich über den Identitätsanbieter an, nicht mit Passwort.',
  'login.oidc.or': 'oder',
  'login.oidc.button': 'Anmelden mit {provider}',
  'login.oidc.error.oidc_no_role':
    'Ihr Konto beim Identitätsanbieter gehört keiner Gruppe an, die für Lagebild freigegeben ist. Bitte wenden Sie sich an die Administration Ihrer Kommune.',
  'login.oidc.error.oidc_failed':
    'Die Anmeldung über den Identitätsanbieter ist fehlgeschlagen. Bitte versuchen Sie es erneut.',
  'login.oidc.error.oidc_disabled':
    'Die Anmeldung über den Identitätsanbieter ist für diese Kommune nicht eingerichtet.',
  'login.oidc.error.oidc_user_disabled':
    'Ihr Lagebild-Konto ist gesperrt. Bitte wenden Sie sich an die Administration.',

  'totp.code': 'Sicherheitscode aus der Authenticator-App',
  'totp.code.hint': 'Sechs Ziffern; der Code wechselt alle 30 Sekunden.',
  'totp.login.title': 'Zweiter Faktor',
  'totp.login.intro': 'Geben Sie den aktuellen Code aus Ihrer Authenticator-App ein.',
  'totp.submit': 'Bestätigen',
  'totp.submitting': 'Wird geprüft …',
  'totp.back': 'Zurück zur Anmeldung',
  'totp.error.invalid': 'Der Code ist falsch oder wurde bereits verwendet.',
  'totp.error.expired': 'Die Anmeldung ist abgelaufen. Bitte melden Sie sich erneut an.',
  'totp.enrol.title': 'Zweiten Faktor einrichten',
  'totp.enrol.required':
    'Ihre Kommune verlangt für Ihre Rolle einen zweiten Faktor. Richten Sie ihn jetzt ein.',
  'totp.enrol.steps':
    'Fügen Sie in Ihrer Authenticator-App ein Konto hinzu: Scannen Sie den QR-Code, öffnen Sie den Link oder tippen Sie den Schlüssel ein. Geben Sie dann den angezeigten Code ein.',
  'totp.enrol.qr': 'QR-Code für die Authenticator-App',
  'totp.enrol.secret': 'Schlüssel (wird nur jetzt angezeigt)',
  'totp.enrol.uri': 'Link für die Authenticator-App',
  'totp.enrol.start': 'Schlüssel erzeugen',

  'audit.action.totp_enabled': 'Zweiter Faktor eingerichtet',
  'audit.action.totp_reset': 'Zweiter Faktor zurückgesetzt',
  'audit.action.sign_in_settings_changed': 'Anmeldeeinstellungen geändert',
  'audit.action.oidc_login_refused': 'Anmeldung über Identitätsanbieter abgelehnt',

  'nav.signIn': 'Anmeldung',
  'signIn.title': 'Anmeldung und Identitätsanbieter',
  'signIn.intro':
    'Legt fest, wie sich die Beschäftigten Ihrer Kommune anmelden. Jede Änderung wird mit Begründung protokolliert.',
  'signIn.totpRoles': 'Zweiter Faktor (TOTP) Pflicht für',
  'signIn.passwordLogin':
    'Anmeldung mit Passwort erlauben (Administration behält ihr Passwort als Notzugang)',
  'signIn.oidc.title': 'OpenID-Connect-Anbieter',
  'signIn.oidc.enabled': 'Anmeldung über den Anbieter eingeschaltet',
  'signIn.oidc.displayName': 'Name auf der Anmeldeseite',
  'signIn.oidc.issuer': 'Aussteller (Issuer-URL)',
  'signIn.oidc.clientId': 'Client-ID',
  'signIn.oidc.clientSecretFile': 'Datei mit dem Client-Secret (absoluter Pfad auf dem Server)',
  'signIn.oidc.groupsClaim': 'Claim mit Gruppen oder Rollen',
  'signIn.oidc.roleMap': 'Zuordnung Gruppe → Rolle (eine Zeile je Gruppe: Gruppe = Rolle)',
  'signIn.oidc.remove': 'Keinen Anbieter verwenden',
  'signIn.reason': 'Begründung',
  'signIn.save': 'Speichern',
  'signIn.saved': 'Gespeichert.',
  'signIn.error.roleMap':
    'Zeile {line}: erwartet „Gruppe = Rolle“ mit einer der Rollen admin, supervisor, operator, evaluator.',
};

export const SIGN_IN_EN: Record<keyof typeof SIGN_IN_DE, string> = {
  'login.error.passwordOff': 'Your municipality signs in through its identity provider, not with a password.',
  'login.oidc.or': 'or',
  'login.oidc.button': 'Sign in with {provider}',
  'login.oidc.error.oidc_no_role':
    'Your identity provider account is in no group that is cleared for Lagebild. Please contact your municipality’s administration.',
  'login.oidc.error.oidc_failed': 'Signing in through the identity provider failed. Please try again.',
  'login.oidc.error.oidc_disabled':
    'Signing in through an identity provider is not set up for this municipality.',
  'login.oidc.error.oidc_user_disabled':
    'Your Lagebild account is disabled. Please contact the administration.',

  'totp.code': 'Security code from the authenticator app',
  'totp.code.hint': 'Six digits; the code changes every 30 seconds.',
  'totp.login.title': 'Second factor',
  'totp.login.intro': 'Enter the current code from your authenticator app.',
  'totp.submit': 'Confirm',
  'totp.submitting': 'Checking …',
  'totp.back': 'Back to sign-in',
  'totp.error.invalid': 'The code is wrong or has been used already.',
  'totp.error.expired': 'The sign-in has expired. Please sign in again.',
  'totp.enrol.title': 'Set up a second factor',
  'totp.enrol.required': 'Your municipality requires a second factor for your role. Set it up now.',
  'totp.enrol.steps':
    'Add an account in your authenticator app: scan the QR code, open the link or type the key. Then enter the code it shows.',
  'totp.enrol.qr': 'QR code for the authenticator app',
  'totp.enrol.secret': 'Key (shown only now)',
  'totp.enrol.uri': 'Link for the authenticator app',
  'totp.enrol.start': 'Create key',

  'audit.action.totp_enabled': 'Second factor set up',
  'audit.action.totp_reset': 'Second factor reset',
  'audit.action.sign_in_settings_changed': 'Sign-in settings changed',
  'audit.action.oidc_login_refused': 'Sign-in through identity provider refused',

  'nav.signIn': 'Sign-in',
  'signIn.title': 'Sign-in and identity provider',
  'signIn.intro': 'How your municipality’s staff sign in. Every change is logged with its reason.',
  'signIn.totpRoles': 'Second factor (TOTP) required for',
  'signIn.passwordLogin': 'Allow password sign-in (administrators keep their password as break-glass access)',
  'signIn.oidc.title': 'OpenID Connect provider',
  'signIn.oidc.enabled': 'Sign-in through the provider switched on',
  'signIn.oidc.displayName': 'Name on the sign-in page',
  'signIn.oidc.issuer': 'Issuer URL',
  'signIn.oidc.clientId': 'Client ID',
  'signIn.oidc.clientSecretFile': 'File holding the client secret (absolute path on the server)',
  'signIn.oidc.groupsClaim': 'Claim with groups or roles',
  'signIn.oidc.roleMap': 'Group → role mapping (one line per group: group = role)',
  'signIn.oidc.remove': 'Use no provider',
  'signIn.reason': 'Reason',
  'signIn.save': 'Save',
  'signIn.saved': 'Saved.',
  'signIn.error.roleMap':
    'Line {line}: expected “group = role” with one of the roles admin, supervisor, operator, evaluator.',
};
