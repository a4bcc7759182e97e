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
