// What a reader asks of the layouts before it settles on characters: the field type of each
// position, which positions a check digit covers, where the country codes are, whether the names
// are well formed, and whether a second reading would also pass every check digit.

import type { MrzFormat } from '../types.ts'
import { MRZ_CHARSET } from './glyphs.ts'
import { allowed, coerce, detectLayout, kindAt } from './layouts.ts'
import { parseMrz, type ParseOptions } from './parse.ts'

/**
 * For a reader: which characters each position may hold under the layout these lines look like
 * (ICAO field types), or null when the lines fit no layout.
 */
export function positionFilters(lines: string[]): ((c: string) => boolean)[][] | null {
  const layout = detectLayout(lines)
  if (!layout) return null
  return lines.map((_, l) =>
    Array.from({ length: layout.lineLength }, (_, p) => {
      const kind = kindAt(layout, l, p)
      return (c: string) => allowed(kind, c)
    }),
  )
}

/**
 * For a reader: at each position, whether a character the field does not allow may be a misread
 * of the allowed one chosen in its place. The sex allows only F, M, X and '<', and no check digit
 * covers it: a clear 0 there is the zone breaking the field's rule, and a reader must say so
 * rather than put the field's likeliest character in its place; H for M or E for F are known
 * confusions. Elsewhere any character may be a misread: names are judged by their structure and
 * the other fields by their check digits. Null when the lines fit no layout.
 */
export function positionMisreads(
  lines: string[],
): ((seen: string, chosen: string) => boolean)[][] | null {
  const layout = detectLayout(lines)
  if (!layout) return null
  return lines.map((_, l) =>
    Array.from({ length: layout.lineLength }, (_, p) => {
      const kind = kindAt(layout, l, p)
      return (seen: string, chosen: string) => kind !== 'sex' || coerce(kind, seen) === chosen
    }),
  )
}

/**
 * The character a cell shows clearly (`scores` over MRZ_CHARSET, ahead of the allowed `chosen` by
 * at least `margin`) that its field does not allow and that is no known misread of `chosen`; null
 * when there is none.
 */
export function strayCharacter(
  scores: ArrayLike<number>,
  ok: (c: string) => boolean,
  misread: (seen: string, chosen: string) => boolean,
  chosen: string,
  margin: number,
): string | null {
  let top = 0
  for (let i = 1; i < MRZ_CHARSET.length; i++) if (scores[i]! > scores[top]!) top = i
  const seen = MRZ_CHARSET[top]!
  const lead = scores[top]! - scores[MRZ_CHARSET.indexOf(chosen)]!
  return !ok(seen) && lead >= margin && !misread(seen, chosen) ? seen : null
}

/** A zone with a character its field does not allow, read clearly: not an ICAO MRZ as printed. */
export function strayRefusal(stray: string, l: number, p: number): { ok: false; message: string } {
  return {
    ok: false,
    message: `Character ${p + 1} of line ${l + 1} reads '${stray}', which its field does not allow.`,
  }
}

// ICAO 9303-3 §4.6: name components separated by one '<', primary and secondary identifiers by
// '<<', then fillers only. (A truncated name fills the field and still matches.)
const NAME_FIELD = /^([A-Z]+(<[A-Z]+)*)?(<<[A-Z]+(<[A-Z]+)*)?<*$/
// French ID: a surname of components separated by '<'; given names separated by '<<'.
const FRA_SURNAME = /^[A-Z]+(<[A-Z]+)*<*$/
const FRA_GIVEN = /^([A-Z]+(<{1,2}[A-Z]+)*)?<*$/

/**
 * Whether the name fields of parsed lines have the structure ICAO 9303-3 §4.6 prescribes. Names
 * carry no check digit, so a reader uses this to refuse a zone whose name was misread.
 */
export function namesWellFormed(format: MrzFormat, lines: string[]): boolean {
  const l0 = lines[0] ?? ''
  const l1 = lines[1] ?? ''
  switch (format) {
    case 'TD1':
      return NAME_FIELD.test(lines[2] ?? '')
    case 'TD2':
    case 'TD3':
    case 'MRVA':
    case 'MRVB':
      return NAME_FIELD.test(l0.slice(5))
    case 'FRA_ID':
      return FRA_SURNAME.test(l0.slice(5, 30)) && FRA_GIVEN.test(l1.slice(13, 27))
  }
}

/**
 * For a reader: which positions some check digit covers (field checks and the composite), under
 * the layout these lines look like; null when the lines fit no layout. An error elsewhere — names,
 * unprotected optional data — cannot be caught by the parser.
 */
export function checkedPositions(lines: string[]): boolean[][] | null {
  const layout = detectLayout(lines)
  if (!layout) return null
  const covered = lines.map(() => new Array<boolean>(layout.lineLength).fill(false))
  for (const check of layout.checks) {
    for (const [line, start, length] of check.spans) {
      for (let i = 0; i < length; i++) covered[line]![start + i] = true
    }
    covered[check.digit[0]]![check.digit[1]] = true
  }
  return covered
}

/** For a reader: [line, start] of the 3-character issuer and nationality fields of these lines. */
export function countryFieldStarts(lines: string[]): [number, number][] {
  const layout = detectLayout(lines)
  if (!layout || layout.format === 'FRA_ID') return []
  const out: [number, number][] = []
  for (const name of ['issuer', 'nationality']) {
    const spec = layout.fields[name]
    if (spec) out.push([spec.line, spec.start])
  }
  return out
}

/** A position the reader could not settle, and the characters it might hold. */
export interface CloseCall {
  line: number
  pos: number
  chars: string
}

/**
 * Another reading that changes two of the reader's close calls and satisfies every check digit
 * as it stands, or null. A 7-3-1 check digit catches any one wrong character but not every pair:
 * the same substitution at weights 7 and 3 side by side (OO read as 00) changes the sum by a
 * multiple of 10 (ICAO 9303-3 §4.9), and a composite starting at the same place cannot see it
 * either.
 */
export function secondReading(
  lines: string[],
  calls: CloseCall[],
  opts: ParseOptions,
): string[] | null {
  for (const [i, a] of calls.entries()) {
    for (const b of calls.slice(i + 1)) {
      for (const ca of a.chars) {
        if (ca === lines[a.line]?.[a.pos]) continue
        for (const cb of b.chars) {
          if (cb === lines[b.line]?.[b.pos]) continue
          const rows = lines.map((l) => [...l])
          rows[a.line]![a.pos] = ca
          rows[b.line]![b.pos] = cb
          const other = rows.map((r) => r.join(''))
          const parsed = parseMrz({ lines: other }, opts)
          if (parsed.ok && parsed.mrz.valid && parsed.mrz.corrections === 0) return other
        }
      }
    }
  }
  return null
}
