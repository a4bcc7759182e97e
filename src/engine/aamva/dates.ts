// Dates in AAMVA payloads. DL/ID-2000 (version 01) wrote CCYYMMDD; from the 2003 Card Design
// Specification (version 02) on, D.12.5.1 says dates are MMDDCCYY for the USA and CCYYMMDD for
// Canada. Some US jurisdictions kept CCYYMMDD after version 01, and some version 01 issuers wrote
// MMDDCCYY. Both layouts cannot be a plausible date at once (a CCYY from 1900 on is never a
// valid MMDD, and an MMDD read as a year is below 1900), so the digits decide; the expected
// order only says whether the issuer departed from the standard.
//
// Any four-digit year from 1900 is a calendar date: issuers write far-future expiries (3021,
// 5000) for cards that do not expire, and such a date is taken as written, not refused. Whether
// a birth or issue date is plausible is judged where the dates meet the day of the read.

export type DateOrder = 'MDY' | 'YMD'

export interface AamvaDate {
  /** YYYY-MM-DD */
  iso: string
  order: DateOrder
  /** The value held separators ("1990-01-02", "01/02/1990") that were dropped. */
  hadSeparators: boolean
}

const MIN_YEAR = 1900
const MAX_YEAR = 9999

/** The date layout the standard prescribes for a version and issuing country. */
export function expectedDateOrder(version: number, country: 'USA' | 'CAN' | null): DateOrder {
  if (country === 'CAN') return 'YMD'
  if (version === 1) return 'YMD'
  return 'MDY'
}

/** Reads an AAMVA date in either layout; null when it is not exactly one plausible calendar date. */
export function parseAamvaDate(value: string): AamvaDate | null {
  const trimmed = value.trim()
  let digits = trimmed
  let hadSeparators = false
  if (!/^\d{8}$/.test(trimmed)) {
    // Only separators between the three parts are accepted: 01-02-1990, 1990/01/02.
    const m = /^(\d{2})[-/.](\d{2})[-/.](\d{4})$|^(\d{4})[-/.](\d{2})[-/.](\d{2})$/.exec(trimmed)
    if (m === null) return null
    digits = m.slice(1).join('')
    hadSeparators = true
  }
  const mdy = calendarDate(digits.slice(4, 8), digits.slice(0, 2), digits.slice(2, 4))
  const ymd = calendarDate(digits.slice(0, 4), digits.slice(4, 6), digits.slice(6, 8))
  if (mdy !== null && ymd === null) return { iso: mdy, order: 'MDY', hadSeparators }
  if (ymd !== null && mdy === null) return { iso: ymd, order: 'YMD', hadSeparators }
  return null
}

function calendarDate(y: string, m: string, d: string): string | null {
  const year = Number(y)
  const month = Number(m)
  const day = Number(d)
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || day < 1) return null
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  if (day > daysInMonth) return null
  return `${y}-${m}-${d}`
}
