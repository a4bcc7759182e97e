// The hosted page's languages: a catalogue per language (English is the reference), chosen from
// `?lang=`, else the browser's Accept-Language (RFC 9110 §12.5.4 quality values), else English.
import { en } from './messages/en.ts'
import type { MessageKey, Messages } from './messages/en.ts'
import { de } from './messages/de.ts'
import { fr } from './messages/fr.ts'

export const CATALOGUES = { en, fr, de } as const satisfies Record<string, Messages>
export type Language = keyof typeof CATALOGUES
export const LANGUAGES = Object.keys(CATALOGUES) as Language[]
/** Each language's name in itself, for the language switch. */
export const LANGUAGE_NAMES: Record<Language, string> = {
  en: 'English',
  fr: 'Français',
  de: 'Deutsch',
}

/**
 * The language to show: `?lang=` when it is one of `available`, else the best Accept-Language
 * match, else English. `available` defaults to the hosted page's languages; the console, which
 * has fewer catalogues, passes its own.
 */
export function pickLanguage<L extends string = Language>(
  query: string | undefined,
  acceptLanguage: string | undefined,
  available: readonly L[] = LANGUAGES as unknown as readonly L[],
): L | 'en' {
  const isLanguage = (value: string): value is L => (available as readonly string[]).includes(value)
  const asked = query?.toLowerCase().split('-')[0]
  if (asked && isLanguage(asked)) return asked
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [range = '', ...params] = part.trim().toLowerCase().split(';')
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
      const quality = q === undefined ? 1 : Number(q.slice(2))
      return {
        primary: range.split('-')[0] ?? '',
        quality: Number.isFinite(quality) ? quality : 0,
        index,
      }
    })
    .filter((r) => r.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index)
  for (const { primary } of ranked) if (isLanguage(primary)) return primary
  return 'en'
}

/** A message with its `{names}` filled in. */
export function translate(
  language: Language,
  key: MessageKey,
  vars: Record<string, string> = {},
): string {
  return CATALOGUES[language][key].replace(
    /\{(\w+)\}/g,
    (whole, name: string) => vars[name] ?? whole,
  )
}

export type { MessageKey, Messages }
