// Every string of the console: the shell's own and each page's, merged once (a key defined twice is
// an error at startup). MessageKey is derived from the same list, so it names exactly these keys.
import { PAGES } from './pages.ts';
import type { ConsolePage } from './shell/console-page.ts';
import { createTranslator, mergeMessages, type Lang, type Messages, type Translate } from './shell/i18n.ts';
import { SHELL_MESSAGES, type ShellKey } from './shell/messages.ts';

type PageKey<P> = P extends ConsolePage<infer K> ? K : never;

/** Any message key of the console (the shell's and every page's). */
export type MessageKey = ShellKey | PageKey<(typeof PAGES)[number]>;

/** The shell's strings and those of `pages`. */
export function catalogueOf(pages: readonly ConsolePage[]): Messages<string> {
  return mergeMessages([SHELL_MESSAGES, ...pages.map((p) => p.messages)]);
}

const catalogue = catalogueOf(PAGES) as Messages<MessageKey>;

/** The translator of `lang` over every console string. */
export function translator(lang: Lang): Translate<MessageKey> {
  return createTranslator(catalogue[lang]);
}
