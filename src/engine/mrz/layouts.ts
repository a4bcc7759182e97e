// The MRZ layouts of ICAO Doc 9303 part 4 (TD3 passports), part 5 (TD1 cards), part 6 (TD2),
// part 7 (MRV-A/B visas) and the French national identity card of 1988–2021 (2×36, not an ICAO
// layout): where each field lies, what each position may hold, and which check digit covers what.

import type { MrzFormat } from '../types.ts'

/** What a character position may hold, from the layout tables of ICAO 9303-4/5/6/7. */
export type Kind = 'alpha' | 'num' | 'alnum' | 'check' | 'sex' | 'date'

export interface FieldSpec {
  line: number
  start: number
  length: number
  kind: Kind
}

export interface CheckSpec {
  name: string
  /** Data positions as [line, start, length] spans, in the order they are weighted. */
  spans: [number, number, number][]
  digit: [number, number]
}

export interface Layout {
  format: MrzFormat
  lineLength: number
  lineCount: number
  fields: Record<string, FieldSpec>
  checks: CheckSpec[]
}

const f = (line: number, start: number, length: number, kind: Kind): FieldSpec => ({
  line,
  start,
  length,
  kind,
})

// ICAO 9303-4 §4.2.2 (TD3 data page).
const TD3: Layout = {
  format: 'TD3',
  lineLength: 44,
  lineCount: 2,
  fields: {
    code: f(0, 0, 2, 'alpha'),
    issuer: f(0, 2, 3, 'alpha'),
    name: f(0, 5, 39, 'alpha'),
    number: f(1, 0, 9, 'alnum'),
    numberCheck: f(1, 9, 1, 'check'),
    nationality: f(1, 10, 3, 'alpha'),
    birth: f(1, 13, 6, 'date'),
    birthCheck: f(1, 19, 1, 'check'),
    sex: f(1, 20, 1, 'sex'),
    expiry: f(1, 21, 6, 'date'),
    expiryCheck: f(1, 27, 1, 'check'),
    optional: f(1, 28, 14, 'alnum'),
    optionalCheck: f(1, 42, 1, 'check'),
    // A composite check digit covers the document number and dates, never only fillers: it is
    // a digit, never '<' (ICAO 9303-3 §4.9), in every layout.
    compositeCheck: f(1, 43, 1, 'num'),
  },
  checks: [
    { name: 'documentNumber', spans: [[1, 0, 9]], digit: [1, 9] },
    { name: 'birthDate', spans: [[1, 13, 6]], digit: [1, 19] },
    { name: 'expiryDate', spans: [[1, 21, 6]], digit: [1, 27] },
    { name: 'personalNumber', spans: [[1, 28, 14]], digit: [1, 42] },
    // ICAO 9303-4 §4.2.2.1: composite over positions 1–10, 14–20 and 22–43 of the lower line.
    {
      name: 'composite',
      spans: [
        [1, 0, 10],
        [1, 13, 7],
        [1, 21, 22],
      ],
      digit: [1, 43],
    },
  ],
}

// ICAO 9303-7 §4.2.2 (MRV-A): like TD3 but 16 characters of optional data and no composite.
const MRVA: Layout = {
  format: 'MRVA',
  lineLength: 44,
  lineCount: 2,
  fields: {
    ...TD3.fields,
    optional: f(1, 28, 16, 'alnum'),
    optionalCheck: f(1, 0, 0, 'check'),
    compositeCheck: f(1, 0, 0, 'check'),
  },
  checks: TD3.checks.slice(0, 3),
}

// ICAO 9303-6 §4.2.2 (TD2).
const TD2: Layout = {
  format: 'TD2',
  lineLength: 36,
  lineCount: 2,
  fields: {
    code: f(0, 0, 2, 'alpha'),
    issuer: f(0, 2, 3, 'alpha'),
    name: f(0, 5, 31, 'alpha'),
    number: f(1, 0, 9, 'alnum'),
    numberCheck: f(1, 9, 1, 'check'),
    nationality: f(1, 10, 3, 'alpha'),
    birth: f(1, 13, 6, 'date'),
    birthCheck: f(1, 19, 1, 'check'),
    sex: f(1, 20, 1, 'sex'),
    expiry: f(1, 21, 6, 'date'),
    expiryCheck: f(1, 27, 1, 'check'),
    optional: f(1, 28, 7, 'alnum'),
    compositeCheck: f(1, 35, 1, 'num'),
  },
  checks: [
    { name: 'documentNumber', spans: [[1, 0, 9]], digit: [1, 9] },
    { name: 'birthDate', spans: [[1, 13, 6]], digit: [1, 19] },
    { name: 'expiryDate', spans: [[1, 21, 6]], digit: [1, 27] },
    // ICAO 9303-6 §4.2.2.1: composite over positions 1–10, 14–20 and 22–35 of the lower line.
    {
      name: 'composite',
      spans: [
        [1, 0, 10],
        [1, 13, 7],
        [1, 21, 14],
      ],
      digit: [1, 35],
    },
  ],
}

// ICAO 9303-7 §4.2.2 (MRV-B): like TD2 but 8 characters of optional data and no composite.
const MRVB: Layout = {
  format: 'MRVB',
  lineLength: 36,
  lineCount: 2,
  fields: {
    ...TD2.fields,
    optional: f(1, 28, 8, 'alnum'),
    compositeCheck: f(1, 0, 0, 'check'),
  },
  checks: TD2.checks.slice(0, 3),
}

// ICAO 9303-5 §4.2.2 (TD1).
const TD1: Layout = {
  format: 'TD1',
  lineLength: 30,
  lineCount: 3,
  fields: {
    code: f(0, 0, 2, 'alpha'),
    issuer: f(0, 2, 3, 'alpha'),
    number: f(0, 5, 9, 'alnum'),
    numberCheck: f(0, 14, 1, 'check'),
    optional: f(0, 15, 15, 'alnum'),
    birth: f(1, 0, 6, 'date'),
    birthCheck: f(1, 6, 1, 'check'),
    sex: f(1, 7, 1, 'sex'),
    expiry: f(1, 8, 6, 'date'),
    expiryCheck: f(1, 14, 1, 'check'),
    nationality: f(1, 15, 3, 'alpha'),
    optional2: f(1, 18, 11, 'alnum'),
    compositeCheck: f(1, 29, 1, 'num'),
    name: f(2, 0, 30, 'alpha'),
  },
  checks: [
    { name: 'documentNumber', spans: [[0, 5, 9]], digit: [0, 14] },
    { name: 'birthDate', spans: [[1, 0, 6]], digit: [1, 6] },
    { name: 'expiryDate', spans: [[1, 8, 6]], digit: [1, 14] },
    // ICAO 9303-5 §4.2.2.1: composite over upper line 6–30 and middle line 1–7, 9–15, 19–29.
    {
      name: 'composite',
      spans: [
        [0, 5, 25],
        [1, 0, 7],
        [1, 8, 7],
        [1, 18, 11],
      ],
      digit: [1, 29],
    },
  ],
}

// French national identity card (1988–2021), 2×36. Not ICAO: line 1 is "ID" "FRA", surname (25),
// administrative code (6); line 2 is the 12-character card number (issue year and month,
// department, office, serial), its check digit, given names (14), birth date, its check digit, sex,
// and a final check digit over both lines. Check digits use the ICAO 7-3-1 rule.
const FRA_ID: Layout = {
  format: 'FRA_ID',
  lineLength: 36,
  lineCount: 2,
  fields: {
    code: f(0, 0, 2, 'alpha'),
    issuer: f(0, 2, 3, 'alpha'),
    name: f(0, 5, 25, 'alpha'),
    office: f(0, 30, 6, 'alnum'),
    number: f(1, 0, 12, 'alnum'),
    numberCheck: f(1, 12, 1, 'check'),
    givenNames: f(1, 13, 14, 'alpha'),
    birth: f(1, 27, 6, 'date'),
    birthCheck: f(1, 33, 1, 'check'),
    sex: f(1, 34, 1, 'sex'),
    compositeCheck: f(1, 35, 1, 'num'),
  },
  checks: [
    { name: 'documentNumber', spans: [[1, 0, 12]], digit: [1, 12] },
    { name: 'birthDate', spans: [[1, 27, 6]], digit: [1, 33] },
    {
      name: 'composite',
      spans: [
        [0, 0, 36],
        [1, 0, 35],
      ],
      digit: [1, 35],
    },
  ],
}

const DIGIT_FOR: Record<string, string> = {
  O: '0',
  Q: '0',
  D: '0',
  I: '1',
  L: '1',
  Z: '2',
  S: '5',
  G: '6',
  B: '8',
}
const LETTER_FOR: Record<string, string> = {
  '0': 'O',
  '1': 'I',
  '2': 'Z',
  '5': 'S',
  '6': 'G',
  '8': 'B',
}
/** Typical OCR confusions between letters and digits, both ways (issue: 0/O, 1/I, 5/S, 8/B, 2/Z). */
export const CONFUSABLE: Record<string, string> = {
  '0': 'O',
  O: '0',
  '1': 'I',
  I: '1',
  '5': 'S',
  S: '5',
  '8': 'B',
  B: '8',
  '2': 'Z',
  Z: '2',
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9'
const isLetter = (c: string): boolean => c >= 'A' && c <= 'Z'

export function allowed(kind: Kind, c: string): boolean {
  switch (kind) {
    case 'alpha':
      return isLetter(c) || c === '<'
    case 'num':
      return isDigit(c)
    case 'date':
      return isDigit(c) || c === '<'
    case 'check':
      return isDigit(c) || c === '<'
    case 'sex':
      return c === 'M' || c === 'F' || c === 'X' || c === '<'
    case 'alnum':
      return isDigit(c) || isLetter(c) || c === '<'
  }
}

export function coerce(kind: Kind, c: string): string | null {
  switch (kind) {
    case 'alpha':
      return LETTER_FOR[c] ?? null
    case 'num':
    case 'date':
    case 'check':
      return DIGIT_FOR[c] ?? null
    case 'sex':
      return c === 'N' || c === 'H' ? 'M' : c === 'E' || c === 'P' ? 'F' : null
    case 'alnum':
      return null
  }
}

/**
 * The letters a zone's document code may start with, by its shape (ICAO 9303-4/5/6/7 §4.2.2): a
 * 44-character zone is a passport's (P) or a visa's (V); a 36-character one a card's (I, A, C)
 * or a visa's (V); a 30-character one a card's. A passport is never printed in a card's layout,
 * and a passport zone whose lines lost their trailing fillers reads as a valid TD2 when its
 * personal number is empty (the composite check digit is then the same): P there means a
 * shortened passport zone, not a card.
 */
export function documentCodeStarts(lineCount: number, lineLength: number): string {
  if (lineCount === 2 && lineLength === 44) return 'PV'
  if (lineCount === 2 && lineLength === 36) return 'IACV'
  return 'IAC'
}

/** Recognise the layout from line count, line length and the document code. */
export function detectLayout(lines: string[]): Layout | null {
  const n = lines.length
  const len = lines[0]?.length ?? 0
  if (!lines.every((l) => l.length === len)) return null
  if (n === 3 && len === 30) return TD1
  if (n === 2 && len === 44) return lines[0]?.startsWith('V') ? MRVA : TD3
  if (n === 2 && len === 36) {
    if (lines[0]?.startsWith('IDFRA')) return FRA_ID
    return lines[0]?.startsWith('V') ? MRVB : TD2
  }
  return null
}

/** The field type of a position (positions outside every field may hold anything). */
export function kindAt(layout: Layout, line: number, pos: number): Kind {
  for (const spec of Object.values(layout.fields)) {
    if (spec.line === line && pos >= spec.start && pos < spec.start + spec.length) return spec.kind
  }
  return 'alnum'
}
