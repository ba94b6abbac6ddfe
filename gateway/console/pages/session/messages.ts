// The login form's strings.
import { defineMessages, type KeyOf } from '../../shell/i18n.ts';

export const SESSION_MESSAGES = defineMessages({
  en: {
    'login.title': 'Log in',
    'login.intro': 'Enter the admin token of this peer. It is in the admin token file (config admin.tokenPath, default <dataDir>/admin-token).',
    'login.token': 'Admin token',
    'login.submit': 'Log in',
    'login.failed': 'That token is not valid.',
    'login.throttled': 'Too many failed attempts. Wait a minute and try again.',
    'login.expired': 'Your session has ended. Please log in again.',
  },
  nl: {
    'login.title': 'Inloggen',
    'login.intro': 'Vul het beheertoken van deze peer in. Het staat in het tokenbestand (configuratie admin.tokenPath, standaard <dataDir>/admin-token).',
    'login.token': 'Beheertoken',
    'login.submit': 'Inloggen',
    'login.failed': 'Dat token is niet geldig.',
    'login.throttled': 'Te veel mislukte pogingen. Wacht een minuut en probeer het opnieuw.',
    'login.expired': 'Uw sessie is verlopen. Log opnieuw in.',
  },
});

export type SessionKey = KeyOf<typeof SESSION_MESSAGES>;
