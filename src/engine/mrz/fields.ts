// Field values of an MRZ: fillers, names, two-digit-year dates resolved against a day, and the
// document type from the document code.

import type { DocumentType, MrzFormat } from '../types.ts'

export const stripFiller = (s: string): string => s.replace(/<+$/, '').replace(/</g, ' ').trim()

/** Country or issuer code with its fillers removed ('D<<' → 'D'), or null when empty. */
export function countryCode(raw: string): string | null {
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

/**
 * Oldest age a birth century is taken to allow. The oldest people whose age was ever verified
 * lived to 117–122; at 115 a holder is already a few dozen people worldwide, while a reading 100
 * years too old would call every child a centenarian.
 */
export const MAX_PLAUSIBLE_AGE = 115

/**
 * A YYMMDD birth date with its century: `date` when only one century is possible, `candidates`
 * (older first) when two are and nothing read from the document tells them apart. Both null:
 * not a date.
 */
export type BirthDate =
  | { date: string; candidates: null }
  | { date: null; candidates: [string, string] }
  | { date: null; candidates: null }

/** What the rest of the document says about the birth date. */
export interface BirthEvidence {
  /**
   * The holder was certainly born on or before this day (YYYY-MM-DD): a document is issued to
   * someone already born, so its issue date, and its expiry date, are after the birth.
   */
  bornBy?: string | null
}

/** Whole years from `from` to `to` (YYYY-MM-DD; 29 February birthdays turn on 1 March). */
function yearsBetween(from: string, to: string): number {
  const [fy, fm, fd] = from.split('-').map(Number) as [number, number, number]
  const [ty, tm, td] = to.split('-').map(Number) as [number, number, number]
  return ty - fy - (tm < fm || (tm === fm && td < fd) ? 1 : 0)
}

/**
 * ICAO 9303-3 §4.7 YYMMDD birth date: the latest century that does not put it after `asOf`. When
 * the century before would also do (an age of at most MAX_PLAUSIBLE_AGE), the MRZ cannot tell a
 * child born in 2012 from a holder born in 1912: `evidence` may rule the later one out, else both
 * are returned as candidates rather than one guessed.
 */
export function resolveBirthDate(
  yymmdd: string,
  asOf: string,
  evidence: BirthEvidence = {},
): BirthDate {
  const none = { date: null, candidates: null } as const
  if (!/^\d{6}$/.test(yymmdd)) return none
  const yy = Number(yymmdd.slice(0, 2))
  const m = Number(yymmdd.slice(2, 4))
  const d = Number(yymmdd.slice(4, 6))
  const asOfYear = Number(asOf.slice(0, 4))
  for (let century = Math.floor(asOfYear / 100) * 100; century >= 1800; century -= 100) {
    const y = century + yy
    if (!validDate(y, m, d)) {
      // 29 February exists in some centuries only; keep looking back.
      if (m === 2 && d === 29) continue
      return none
    }
    const date = iso(y, m, d)
    if (date > asOf) continue
    const older = validDate(y - 100, m, d) ? iso(y - 100, m, d) : null
    if (older === null || yearsBetween(older, asOf) > MAX_PLAUSIBLE_AGE) {
      return { date, candidates: null }
    }
    // Evidence settles only between the two plausible centuries: it never pushes a birth date
    // past MAX_PLAUSIBLE_AGE, and evidence that rules out both is not taken.
    const bornBy = evidence.bornBy ?? null
    if (bornBy !== null && date > bornBy && older <= bornBy)
      return { date: older, candidates: null }
    return { date: null, candidates: [older, date] }
  }
  return none
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
