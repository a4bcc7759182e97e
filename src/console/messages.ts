// The console's catalogues (English, the reference, and French) and the lookup that fills in
// `{names}`.
import { consoleEn } from './messages-en.ts'
import type { ConsoleMessageKey, ConsoleMessages } from './messages-en.ts'
import { consoleFr } from './messages-fr.ts'

export type { ConsoleMessageKey, ConsoleMessages } from './messages-en.ts'

const CONSOLE_CATALOGUES = { en: consoleEn, fr: consoleFr } satisfies Record<
  string,
  ConsoleMessages
>
/** The console's languages: fewer than the hosted page's, which a person (not an operator) sees. */
export type ConsoleLanguage = keyof typeof CONSOLE_CATALOGUES
export const CONSOLE_LANGUAGES = Object.keys(CONSOLE_CATALOGUES) as ConsoleLanguage[]

/** A console message with its `{names}` filled in. */
export function consoleText(
  language: ConsoleLanguage,
  key: ConsoleMessageKey,
  vars: Record<string, string | number> = {},
): string {
  return CONSOLE_CATALOGUES[language][key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    vars[name] === undefined ? whole : String(vars[name]),
  )
}
