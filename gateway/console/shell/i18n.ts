// The console's translator core, Dutch and English. The language comes from `?lang=nl|en` (kept in
// a cookie), else from Accept-Language, else English. Placeholders are `{name}`; values are inserted
// as text, and every page escapes them again through hono/jsx. The strings themselves live with
// whoever shows them: the shell's in shell/messages.ts, each page's in pages/<page>/messages.ts.

export type Lang = 'nl' | 'en';
export const LANGS: readonly Lang[] = ['nl', 'en'];

/** One set of strings in every language, keyed alike. */
export type Messages<K extends string> = Record<Lang, Record<K, string>>;

/** The keys of a set of messages. */
export type KeyOf<M> = M extends Messages<infer K> ? K : never;

/**
 * A set of strings, checked by the compiler: the keys come from the English strings, and the Dutch
 * ones must have exactly those keys, so a missing or stray translation is a type error.
 */
export function defineMessages<K extends string>(messages: { en: Record<K, string>; nl: Record<NoInfer<K>, string> }): Messages<K> {
  return messages;
}

export type Translate<K extends string> = (key: K, params?: Record<string, string | number>) => string;

/** Every key exactly once: two owners of one key would silently overwrite each other. */
export function mergeMessages(sets: readonly Messages<string>[]): Messages<string> {
  const merged: Messages<string> = { en: {}, nl: {} };
  for (const set of sets) {
    for (const lang of LANGS) {
      for (const [key, text] of Object.entries(set[lang])) {
        if (key in merged[lang]) throw new Error(`console message ${key} is defined twice`);
        merged[lang][key] = text;
      }
    }
  }
  return merged;
}

export function createTranslator<K extends string>(messages: Record<K, string>): Translate<K> {
  return function t(key, params) {
    const text = messages[key];
    if (params === undefined) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
  };
}

export function isLang(value: unknown): value is Lang {
  return value === 'nl' || value === 'en';
}

/** The best language of an Accept-Language header (RFC 9110 §12.5.4), or undefined when none fits. */
export function fromAcceptLanguage(header: string | undefined): Lang | undefined {
  if (header === undefined) return undefined;
  const ranges = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { lang: tag.trim().toLowerCase().split('-')[0] ?? '', q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranges.map((r) => r.lang).find(isLang);
}

/** Locale for dates and numbers. */
export function localeOf(lang: Lang): string {
  return lang === 'nl' ? 'nl-NL' : 'en-GB';
}
