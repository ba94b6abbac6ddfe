// The shell's own strings (header, language switch, errors); each page brings its own in its folder.
import { defineMessages, type KeyOf } from './i18n.ts';

export const SHELL_MESSAGES = defineMessages({
  en: {
    'app.title': 'Koppel console',
    'skip.main': 'Skip to main content',
    'nav.label': 'Main navigation',
    'lang.label': 'Language',
    'lang.nl': 'Nederlands',
    'lang.en': 'English',
    'header.peer': 'Peer {name} ({id})',
    'logout': 'Log out',
    'csrf.failed': 'The form was out of date or did not come from this console. Nothing was changed; please try again.',
    'error.title': 'Something went wrong',
    'error.generic': 'The console could not complete this request. The details are in the server log.',
    'error.back': 'Back',
    'notfound.title': 'Page not found',
  },
  nl: {
    'app.title': 'Koppel-console',
    'skip.main': 'Naar de hoofdinhoud',
    'nav.label': 'Hoofdmenu',
    'lang.label': 'Taal',
    'lang.nl': 'Nederlands',
    'lang.en': 'English',
    'header.peer': 'Peer {name} ({id})',
    'logout': 'Uitloggen',
    'csrf.failed': 'Het formulier was verouderd of kwam niet van deze console. Er is niets gewijzigd; probeer het opnieuw.',
    'error.title': 'Er ging iets mis',
    'error.generic': 'De console kon dit verzoek niet afronden. De details staan in het serverlog.',
    'error.back': 'Terug',
    'notfound.title': 'Pagina niet gevonden',
  },
});

export type ShellKey = KeyOf<typeof SHELL_MESSAGES>;
