// Parsing and checking of machine readable zones: ICAO Doc 9303 part 4 (TD3 passports), part 5
// (TD1 cards), part 6 (TD2), part 7 (MRV-A/B visas), and the French national identity card of
// 1988–2021 (2×36, not an ICAO layout). Check digits decide every correction of a typical OCR
// confusion; when two corrections both satisfy a check digit the reading is refused, not guessed.

import type { DocumentType, MrzFormat } from '../types.ts'
import { checkDigitMatches } from './check-digit.ts'

/** What a character position may hold, from the layout tables of ICAO 9303-4/5/6/7. */
type Kind = 'alpha' | 'num' | 'alnum' | 'check' | 'sex' | 'date'

interface FieldSpec {
  line: number
  start: number
  length: number
  kind: Kind
}

interface CheckSpec {
  name: string
  /** Data positions as [line, start, length] spans, in the order they are weighted. */
  spans: [number, number, number][]
  digit: [number, number]
}

interface Layout {
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
    compositeCheck: f(1, 43, 1, 'check'),
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
    compositeCheck: f(1, 35, 1, 'check'),
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
    compositeCheck: f(1, 29, 1, 'check'),
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
    compositeCheck: f(1, 35, 1, 'check'),
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
const CONFUSABLE: Record<string, string> = {
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

function allowed(kind: Kind, c: string): boolean {
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

function coerce(kind: Kind, c: string): string | null {
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

/** Lines of an MRZ as read, with optional per-position alternative characters from the reader. */
export interface MrzInput {
  lines: string[]
  /** alternatives[line][pos]: other plausible characters at that position, most likely first. */
  alternatives?: string[][]
}

export interface ParsedMrz {
  format: MrzFormat
  lines: string[]
  documentCode: string
  documentType: DocumentType
  issuer: string | null
  documentNumber: string | null
  optionalData: string | null
  lastName: string | null
  firstName: string | null
  sex: 'F' | 'M' | 'X' | null
  dateOfBirth: string | null
  nationality: string | null
  expiryDate: string | null
  checks: Record<string, boolean>
  valid: boolean
  /** Characters changed from the input to satisfy field types and check digits. */
  corrections: number
}

export type MrzParse =
  | { ok: true; mrz: ParsedMrz }
  | { ok: false; code: 'MRZ_NOT_FOUND' | 'MRZ_UNREADABLE'; message: string }

export interface ParseOptions {
  /** Day the dates are resolved against (YYYY-MM-DD): births are never after it. */
  asOf: string
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

/** Split raw text into candidate MRZ lines: trims, uppercases, drops blanks and inner spaces. */
export function splitMrzText(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/\s+/g, '').toUpperCase())
    .filter((l) => l.length > 0)
}

class Grid {
  readonly rows: string[][]
  corrections = 0
  constructor(
    lines: string[],
    readonly alts: string[][] | undefined,
  ) {
    this.rows = lines.map((l) => [...l])
  }
  get(line: number, pos: number): string {
    return this.rows[line]?.[pos] ?? '<'
  }
  set(line: number, pos: number, c: string): void {
    const row = this.rows[line]
    if (row && row[pos] !== c) {
      row[pos] = c
      this.corrections++
    }
  }
  altsAt(line: number, pos: number): string {
    return this.alts?.[line]?.[pos] ?? ''
  }
  text(spans: [number, number, number][]): string {
    let s = ''
    for (const [line, start, length] of spans) {
      for (let i = 0; i < length; i++) s += this.get(line, start + i)
    }
    return s
  }
  lines(): string[] {
    return this.rows.map((r) => r.join(''))
  }
}

/**
 * Alternatives worth trying at a position to satisfy a check digit: the reader's own alternatives
 * first, then the classic letter/digit confusion, all restricted to what the field may hold.
 */
function candidatesAt(grid: Grid, kind: Kind, line: number, pos: number): string[] {
  const cur = grid.get(line, pos)
  const out: string[] = []
  for (const c of grid.altsAt(line, pos) + (CONFUSABLE[cur] ?? '')) {
    if (c !== cur && allowed(kind, c) && !out.includes(c)) out.push(c)
  }
  return out
}

function kindAt(layout: Layout, line: number, pos: number): Kind {
  for (const spec of Object.values(layout.fields)) {
    if (spec.line === line && pos >= spec.start && pos < spec.start + spec.length) return spec.kind
  }
  return 'alnum'
}

type CheckOutcome = 'pass' | 'fail' | 'tie'

/**
 * Make one check digit hold by changing at most two characters among the reader's alternatives.
 * Only a unique smallest change is taken; two different changes of the same size are a tie.
 */
function enforceCheck(
  grid: Grid,
  layout: Layout,
  check: CheckSpec,
  frozen: Set<string>,
): CheckOutcome {
  const positions: [number, number][] = []
  for (const [line, start, length] of check.spans) {
    for (let i = 0; i < length; i++) positions.push([line, start + i])
  }
  positions.push(check.digit)
  const holds = (): boolean =>
    checkDigitMatches(grid.text(check.spans), grid.get(check.digit[0], check.digit[1]))
  if (holds()) return 'pass'

  const options = positions
    .filter(([l, p]) => !frozen.has(`${l}:${p}`))
    .map(([l, p]) => ({ l, p, cands: candidatesAt(grid, kindAt(layout, l, p), l, p) }))
    .filter((o) => o.cands.length > 0)

  // One change.
  const singles: { l: number; p: number; c: string }[] = []
  for (const o of options) {
    const keep = grid.get(o.l, o.p)
    for (const c of o.cands) {
      grid.rows[o.l]![o.p] = c
      if (holds()) singles.push({ l: o.l, p: o.p, c })
    }
    grid.rows[o.l]![o.p] = keep
  }
  if (singles.length > 1) return 'tie'
  if (singles.length === 1) {
    const s = singles[0]!
    grid.set(s.l, s.p, s.c)
    return 'pass'
  }
  // Two changes, bounded so a long field cannot explode.
  if (options.length > 24) return 'fail'
  const pairs: { a: [number, number, string]; b: [number, number, string] }[] = []
  for (let i = 0; i < options.length; i++) {
    const oi = options[i]!
    const ki = grid.get(oi.l, oi.p)
    for (const ci of oi.cands) {
      grid.rows[oi.l]![oi.p] = ci
      for (let j = i + 1; j < options.length; j++) {
        const oj = options[j]!
        const kj = grid.get(oj.l, oj.p)
        for (const cj of oj.cands) {
          grid.rows[oj.l]![oj.p] = cj
          if (holds()) pairs.push({ a: [oi.l, oi.p, ci], b: [oj.l, oj.p, cj] })
        }
        grid.rows[oj.l]![oj.p] = kj
      }
    }
    grid.rows[oi.l]![oi.p] = ki
  }
  if (pairs.length > 1) return 'tie'
  if (pairs.length === 1) {
    const { a, b } = pairs[0]!
    grid.set(a[0], a[1], a[2])
    grid.set(b[0], b[1], b[2])
    return 'pass'
  }
  return 'fail'
}

function field(grid: Grid, spec: FieldSpec): string {
  return grid.text([[spec.line, spec.start, spec.length]])
}

const stripFiller = (s: string): string => s.replace(/<+$/, '').replace(/</g, ' ').trim()

/** Country or issuer code with its fillers removed ('D<<' → 'D'), or null when empty. */
function countryCode(raw: string): string | null {
  const s = raw.replace(/</g, '')
  return s.length > 0 ? s : null
}

/**
 * ICAO 9303-4 §4.6: primary and secondary identifiers separated by '<<', components by '<',
 * trailing fillers. A name that fills the field may have been truncated; it is kept as printed.
 */
export function parseName(raw: string): { lastName: string | null; firstName: string | null } {
  const body = raw.replace(/<+$/, '')
  const sep = body.indexOf('<<')
  const last = sep < 0 ? body : body.slice(0, sep)
  const first = sep < 0 ? '' : body.slice(sep + 2)
  const clean = (s: string): string | null => {
    const t = s.replace(/<+/g, ' ').trim()
    return t.length > 0 ? t : null
  }
  return { lastName: clean(last), firstName: clean(first) }
}

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate()
  return d <= days
}

const iso = (y: number, m: number, d: number): string =>
  `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`

/** ICAO 9303-3 §4.7 YYMMDD birth date: the latest century that does not put it after `asOf`. */
export function resolveBirthDate(yymmdd: string, asOf: string): string | null {
  if (!/^\d{6}$/.test(yymmdd)) return null
  const yy = Number(yymmdd.slice(0, 2))
  const m = Number(yymmdd.slice(2, 4))
  const d = Number(yymmdd.slice(4, 6))
  const asOfYear = Number(asOf.slice(0, 4))
  for (let century = Math.floor(asOfYear / 100) * 100; century >= 1800; century -= 100) {
    const y = century + yy
    if (!validDate(y, m, d)) {
      // 29 February exists in some centuries only; keep looking back.
      if (m === 2 && d === 29) continue
      return null
    }
    const date = iso(y, m, d)
    if (date <= asOf) return date
  }
  return null
}

/** YYMMDD expiry date resolved into a plausible window: up to 20 years ahead of `asOf`, else the century before. */
export function resolveExpiryDate(yymmdd: string, asOf: string): string | null {
  if (!/^\d{6}$/.test(yymmdd)) return null
  const yy = Number(yymmdd.slice(0, 2))
  const m = Number(yymmdd.slice(2, 4))
  const d = Number(yymmdd.slice(4, 6))
  const asOfYear = Number(asOf.slice(0, 4))
  let y = Math.floor(asOfYear / 100) * 100 + yy
  if (y > asOfYear + 20) y -= 100
  else if (y < asOfYear - 79) y += 100
  return validDate(y, m, d) ? iso(y, m, d) : null
}

/** Document type from the document code (ICAO 9303-4/5/6/7 §4.2.2: P, I, A, C, V). */
export function documentTypeFor(code: string, format: MrzFormat): DocumentType {
  const c0 = code[0] ?? ''
  const c1 = code[1] ?? '<'
  if (format === 'MRVA' || format === 'MRVB' || c0 === 'V') return 'visa'
  if (c0 === 'P') return c1 === 'T' ? 'travel_document' : 'passport'
  // Residence permits are TD1/TD2 cards whose second letter is 'R' (e.g. "IR", "AR").
  if ((c0 === 'I' || c0 === 'A' || c0 === 'C') && c1 === 'R') return 'residence_permit'
  return 'id_card'
}

/**
 * Parse MRZ lines: recognise the layout, coerce each position to its field type, make every check
 * digit hold with the smallest unique correction, and extract the fields. A tie between corrections
 * gives MRZ_UNREADABLE; a check that no correction satisfies is reported with `valid: false`.
 */
export function parseMrz(input: MrzInput, opts: ParseOptions): MrzParse {
  const lines = input.lines.map((l) => l.toUpperCase())
  const layout = detectLayout(lines)
  if (!layout) {
    return {
      ok: false,
      code: 'MRZ_NOT_FOUND',
      message: `Not an MRZ: expected 3 lines of 30, or 2 lines of 36 or 44 characters; got ${lines.length} line(s) of ${lines.map((l) => l.length).join('/')}.`,
    }
  }
  const grid = new Grid(lines, input.alternatives)

  // 1. Field types (ICAO 9303-3 §4.3: numeric fields hold digits, alphabetic fields letters).
  for (let l = 0; l < layout.lineCount; l++) {
    for (let p = 0; p < layout.lineLength; p++) {
      const kind = kindAt(layout, l, p)
      const c = grid.get(l, p)
      if (allowed(kind, c)) continue
      const alt = [...grid.altsAt(l, p)].find((a) => allowed(kind, a))
      const fixed = alt ?? coerce(kind, c)
      if (fixed === null) {
        return {
          ok: false,
          code: 'MRZ_UNREADABLE',
          message: `Character '${c}' on line ${l + 1}, position ${p + 1} does not fit the field.`,
        }
      }
      grid.set(l, p, fixed)
    }
  }

  // 2. A TD1 document number longer than 9 characters continues in the optional data
  // (ICAO 9303-5 §4.2.2 note j): '<' in the check digit position, the rest of the number, its
  // check digit, then '<'.
  const checks = layout.checks.map((c) => ({ ...c }))
  let longNumberTail: string | null = null
  if (layout.format === 'TD1' && grid.get(0, 14) === '<' && grid.get(0, 15) !== '<') {
    const opt = field(grid, layout.fields.optional!)
    const end = opt.indexOf('<')
    const tailLen = (end < 0 ? opt.length : end) - 1
    if (tailLen >= 1) {
      longNumberTail = opt.slice(0, tailLen)
      checks[0] = {
        name: 'documentNumber',
        spans: [
          [0, 5, 9],
          [0, 15, tailLen],
        ],
        digit: [0, 15 + tailLen],
      }
    }
  }

  // 3. Check digits, field checks first and the composite last; positions a passed check covers
  // are frozen so the composite cannot undo them.
  const results: Record<string, boolean> = {}
  const frozen = new Set<string>()
  for (const check of checks) {
    // A personal number left empty may carry '<' or '0' as its check digit (ICAO 9303-4 §4.2.2 note).
    const outcome = enforceCheck(grid, layout, check, frozen)
    if (outcome === 'tie') {
      return {
        ok: false,
        code: 'MRZ_UNREADABLE',
        message: `The ${check.name} check digit fits more than one correction; refusing to guess.`,
      }
    }
    results[check.name] = outcome === 'pass'
    if (outcome === 'pass') {
      for (const [line, start, length] of check.spans) {
        for (let i = 0; i < length; i++) frozen.add(`${line}:${start + i}`)
      }
      frozen.add(`${check.digit[0]}:${check.digit[1]}`)
    }
  }

  // 4. Fields.
  const F = layout.fields
  const code = field(grid, F.code!)
  let documentNumber: string | null
  if (longNumberTail !== null) {
    documentNumber = field(grid, F.number!) + grid.text([[0, 15, longNumberTail.length]])
  } else {
    documentNumber = stripFiller(field(grid, F.number!)) || null
  }
  let name = parseName(field(grid, F.name!))
  let nationality = countryCode(field(grid, F.nationality ?? F.issuer!))
  let optionalData: string | null
  if (layout.format === 'FRA_ID') {
    // Surname on line 1, given names on line 2 ('<<' between given names).
    const given = field(grid, F.givenNames!).replace(/<+$/, '')
    name = {
      lastName: stripFiller(field(grid, F.name!)) || null,
      firstName:
        given
          .split(/<{2,}/)
          .map((g) => g.replace(/</g, ' ').trim())
          .filter((g) => g)
          .join(' ') || null,
    }
    // The card is issued to French nationals only.
    nationality = 'FRA'
    optionalData = stripFiller(field(grid, F.office!)) || null
  } else {
    const parts = [F.optional, F.optional2].filter((s): s is FieldSpec => s !== undefined)
    const opt = parts.map((s) => field(grid, s))
    if (longNumberTail !== null) opt[0] = opt[0]!.slice(longNumberTail.length + 1)
    optionalData =
      opt
        .map(stripFiller)
        .filter((s) => s)
        .join(' ') || null
  }
  const sexRaw = field(grid, F.sex!)
  const sex = sexRaw === 'M' || sexRaw === 'F' || sexRaw === 'X' ? sexRaw : null
  const expiryDate = F.expiry ? resolveExpiryDate(field(grid, F.expiry), opts.asOf) : null
  const dateOfBirth = resolveBirthDate(field(grid, F.birth!), opts.asOf)

  return {
    ok: true,
    mrz: {
      format: layout.format,
      lines: grid.lines(),
      documentCode: code.replace(/</g, ''),
      documentType: documentTypeFor(code, layout.format),
      issuer: countryCode(field(grid, F.issuer!)),
      documentNumber,
      optionalData,
      lastName: name.lastName,
      firstName: name.firstName,
      sex,
      dateOfBirth,
      nationality,
      expiryDate,
      checks: results,
      valid: Object.values(results).every(Boolean),
      corrections: grid.corrections,
    },
  }
}

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
