// Parsing and checking of machine readable zones: ICAO Doc 9303 part 4 (TD3 passports), part 5
// (TD1 cards), part 6 (TD2), part 7 (MRV-A/B visas), and the French national identity card of
// 1988–2021 (2×36, not an ICAO layout). Check digits decide every correction of a typical OCR
// confusion; when two corrections both satisfy a check digit the reading is refused, not guessed.

import type { DocumentType, MrzFormat, MrzUnresolved } from '../types.ts'
import { checkDigitMatches } from './check-digit.ts'
import {
  allowed,
  coerce,
  CONFUSABLE,
  detectLayout,
  kindAt,
  type CheckSpec,
  type FieldSpec,
  type Kind,
  type Layout,
} from './layouts.ts'
import {
  countryCode,
  documentTypeFor,
  parseName,
  resolveBirthDate,
  resolveExpiryDate,
  stripFiller,
} from './fields.ts'

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
  /**
   * When the two-digit birth year fits two centuries and nothing on the document tells them
   * apart: both dates, older first (`dateOfBirth` is then null). Null otherwise.
   */
  dateOfBirthCandidates: [string, string] | null
  nationality: string | null
  expiryDate: string | null
  checks: Record<string, boolean>
  valid: boolean
  /** Characters changed from the input to satisfy field types and check digits. */
  corrections: number
  /**
   * Set by the vote of two readers, never by the parser: fields no check digit protects on which
   * the readers support different valid readings (those fields are then null, and their
   * characters `?` in `lines`).
   */
  unresolved?: MrzUnresolved[]
  /**
   * Set by the image reader, never by the parser: the birth century was settled by the date the
   * visual zone prints (its day, month and two-digit year the MRZ's own).
   */
  birthCenturyFromViz?: boolean
}

export type MrzParse =
  | { ok: true; mrz: ParsedMrz }
  | { ok: false; code: 'MRZ_NOT_FOUND' | 'MRZ_UNREADABLE'; message: string }

export interface ParseOptions {
  /** Day the dates are resolved against (YYYY-MM-DD): births are never after it. */
  asOf: string
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
  // A document expires after its holder was born. (The French card's number is said to begin
  // with the year and month of issue, which would settle more; that is not certain enough to
  // turn a child into a centenarian on, so it is not used.)
  const bornBy = expiryDate
  const birth = resolveBirthDate(field(grid, F.birth!), opts.asOf, { bornBy })

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
      dateOfBirth: birth.date,
      dateOfBirthCandidates: birth.candidates,
      nationality,
      expiryDate,
      checks: results,
      valid: Object.values(results).every(Boolean),
      corrections: grid.corrections,
    },
  }
}
