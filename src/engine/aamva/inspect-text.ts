// From a parsed AAMVA payload to the `loom inspect` result: person and document fields, the
// jurisdiction from the IIN, and the consistency checks (IIN against the address jurisdiction
// and country, issue ≤ as-of ≤ expiry, a plausible birth date).
import type { AamvaBlock, DocumentType, InspectResult, InspectSuccess } from '../types.ts'
import { ageOn, todayUtc } from '../types.ts'
import { expectedDateOrder, parseAamvaDate } from './dates.ts'
import type { DateOrder } from './dates.ts'
import type { Jurisdiction } from './jurisdictions.ts'
import { jurisdictionOfCode, jurisdictionOfIin } from './jurisdictions.ts'
import type { AamvaPayload } from './parse.ts'
import { parseAamvaPayload } from './parse.ts'

/** The `aamva` block of an inspect result, with the details a licence barcode adds. */
export interface AamvaInspectBlock extends AamvaBlock {
  jurisdictionVersion: number | null
  /** DAA (version 01 and older) as given, when the payload carries the name in one element. */
  fullName: string | null
  middleName: string | null
  /** Name truncation indicators (DDE, DDF, DDG; version 04 on): true when truncated. */
  truncated: { lastName: boolean | null; firstName: boolean | null; middleName: boolean | null }
  /** Height (DAU) and eye colour (DAY) exactly as the payload gives them. */
  height: string | null
  eyeColor: string | null
}

export interface AamvaInspectOptions {
  /** The day ages and expiry are computed on, YYYY-MM-DD; today (UTC) when absent. */
  asOf?: string
}

const OLDEST_PLAUSIBLE_AGE = 125

// The dates read, with the repair named when one is refused.
const DATE_ELEMENTS: [string, string][] = [
  ['DBB', 'birth_date_refused'],
  ['DBA', 'expiry_date_refused'],
  ['DBD', 'issue_date_refused'],
  ['DDH', 'age_date_refused'],
  ['DDI', 'age_date_refused'],
  ['DDJ', 'age_date_refused'],
]

/** Reads a raw AAMVA payload (text or bytes) into a `loom inspect` result. */
export function inspectAamvaText(
  raw: string | Uint8Array,
  options: AamvaInspectOptions = {},
): InspectResult {
  const started = performance.now()
  const parsed = parseAamvaPayload(raw)
  if ('fail' in parsed) {
    return {
      ok: false,
      error: { code: 'AAMVA_INVALID', message: parsed.reason },
      timingsMs: { total: elapsed(started) },
    }
  }
  const result = aamvaInspectResult(parsed, options)
  if (!result.ok) return { ...result, timingsMs: { total: elapsed(started) } }
  result.timingsMs = { parse: elapsed(started), total: elapsed(started) }
  return result
}

/** Turns a parsed payload into an inspect result: fields, age, expiry and consistency checks. */
export function aamvaInspectResult(
  payload: AamvaPayload,
  options: AamvaInspectOptions = {},
): InspectResult {
  const asOf = options.asOf ?? todayUtc()
  const el = payload.standard.elements
  const repairs = [...payload.repairs]
  const ofIin = jurisdictionOfIin(payload.iin)
  const jurisdiction = ofIin ?? jurisdictionOfAddress(payload, repairs)
  const conflicts = payload.standard.conflicts
  if (conflicts.includes('DBB')) return fail('DBB is given twice with different values')
  // D.12.5.1: MMDDCCYY in the USA and CCYYMMDD in Canada from version 02 on; DL/ID-2000
  // (version 01) wrote CCYYMMDD. Pre-standard payloads (00), and payloads whose country is
  // unknown, prescribe nothing: the digits alone decide, and that is flagged.
  const dateCountry = ofIin?.country ?? countryOf(el)
  const prescribed =
    payload.version === 0 || dateCountry === null
      ? null
      : expectedDateOrder(payload.version, dateCountry)

  // A licence without the element at all was not read as one (DBB is mandatory in every version);
  // one whose birth date is no calendar date is read without it (below).
  if (!el.get('DBB')?.trim()) return fail('no date of birth (DBB)')
  const dates = new Map<string, string | null>()
  for (const [id, refused] of DATE_ELEMENTS) {
    const value = el.get(id)
    if (value === undefined || value.trim() === '') {
      dates.set(id, null)
      continue
    }
    const date = parseAamvaDate(value)
    if (date === null) {
      // Never rolled over, never guessed: a date that is not one calendar date is left out and
      // flagged. Issuers' own cards carry such birth dates (day and month swapped); the rest of
      // the card still reads, and without a birth date no age is known, so a decision on it goes
      // to a person (as for a machine readable zone whose birth date is no date).
      repairs.push(refused)
      dates.set(id, null)
      continue
    }
    if (prescribed === null) repairs.push('date_order_inferred')
    else if (date.order !== prescribed) repairs.push(orderRepair(date.order))
    if (date.hadSeparators) repairs.push('date_separators')
    dates.set(id, date.iso)
  }
  const dateOfBirth = dates.get('DBB') ?? null
  const expiryDate = dates.get('DBA') ?? null
  const issueDate = dates.get('DBD') ?? null

  const names = readNames(payload, repairs, jurisdiction?.code ?? null)
  const ageYears = dateOfBirth === null ? null : ageOn(dateOfBirth, asOf)
  const checks: Record<string, boolean> = {}
  checks.iinKnown = ofIin !== null
  const addressState = el.get('DAJ')?.trim()
  if (ofIin !== null && addressState) {
    // DAJ is the address jurisdiction; on a licence it is the issuer's own (D.12.5.1).
    checks.iinMatchesJurisdiction = addressState === ofIin.code
  }
  const country = el.get('DCG')?.trim()
  if (ofIin !== null && country) checks.iinMatchesCountry = country === ofIin.country
  if (issueDate !== null) checks.issueDateNotFuture = issueDate <= asOf
  if (expiryDate !== null) checks.notExpired = asOf <= expiryDate
  if (issueDate !== null && expiryDate !== null) checks.issueBeforeExpiry = issueDate < expiryDate
  if (dateOfBirth !== null && ageYears !== null) {
    checks.birthDatePlausible =
      dateOfBirth <= asOf &&
      ageYears <= OLDEST_PLAUSIBLE_AGE &&
      (issueDate === null || dateOfBirth <= issueDate)
    // DDH/DDI/DDJ (version 04 on): the days the holder turns 18, 19 and 21.
    const thresholds: [string, number][] = [
      ['DDH', 18],
      ['DDI', 19],
      ['DDJ', 21],
    ]
    for (const [id, years] of thresholds) {
      const until = dates.get(id) ?? null
      if (until !== null) {
        checks[`under${years}UntilMatchesBirthDate`] = ageOn(dateOfBirth, until) === years
      }
    }
  }

  const aamva: AamvaInspectBlock = {
    version: payload.version,
    iin: payload.iin,
    jurisdiction: jurisdiction?.code ?? null,
    fileType: payload.fileType,
    repairs: [...new Set(repairs)],
    jurisdictionVersion: payload.jurisdictionVersion,
    fullName: names.fullName,
    middleName: names.middleName,
    truncated: {
      lastName: truncation(el.get('DDE')),
      firstName: truncation(el.get('DDF')),
      middleName: truncation(el.get('DDG')),
    },
    height: el.get('DAU') ?? null,
    eyeColor: el.get('DAY') ?? null,
  }
  const documentType: DocumentType = payload.standard.type === 'ID' ? 'id_card' : 'drivers_license'
  const result: InspectSuccess = {
    ok: true,
    source: 'aamva',
    documentType,
    aamva,
    person: {
      lastName: names.lastName,
      firstName: names.firstName,
      sex: readSex(el.get('DBC')),
      dateOfBirth,
      // A licence states where it was issued (DCG), not the holder's nationality.
      nationality: null,
    },
    document: {
      number: nonEmpty(el.get('DAQ')),
      issuer:
        jurisdiction === null
          ? null
          : `${jurisdiction.country === 'USA' ? 'US' : 'CA'}-${jurisdiction.code}`,
      expiryDate,
      issueDate,
    },
    ageYears,
    expired: expiryDate === null ? null : expiryDate < asOf,
    checks,
    timingsMs: { total: 0 },
  }
  return result
}

/**
 * The issuer when the IIN is not on the register (a sample's, a test card's, or a misprint): the
 * address jurisdiction DAJ (or the residence's, DAO, in DL/ID-2000), which on a licence is the
 * issuer's own (D.12.5.1), provided nothing in the payload says otherwise: the country (DCG)
 * and every jurisdiction subfile's letter (D.12.3: "Z" and the jurisdiction's initial) must
 * agree with it. The IIN stays unknown in the checks.
 */
function jurisdictionOfAddress(payload: AamvaPayload, repairs: string[]): Jurisdiction | null {
  const el = payload.standard.elements
  // DL/ID-2000 cards may give only the residence address (DAL…DAP; DAO its jurisdiction).
  const code = (nonEmpty(el.get('DAJ')) ?? nonEmpty(el.get('DAO')))?.toUpperCase()
  if (code === undefined) return null
  const jurisdiction = jurisdictionOfCode(code)
  if (jurisdiction === null) return null
  const country = el.get('DCG')?.trim()
  if (country && country !== jurisdiction.country) return null
  if (payload.jurisdictionSubfiles.some((s) => s.type[1] !== code[0])) return null
  repairs.push('jurisdiction_from_address')
  return jurisdiction
}

function fail(message: string): InspectResult {
  return { ok: false, error: { code: 'AAMVA_INVALID', message } }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10
}

function orderRepair(order: DateOrder): string {
  return order === 'YMD' ? 'date_order_ccyymmdd' : 'date_order_mmddccyy'
}

function countryOf(el: Map<string, string>): 'USA' | 'CAN' | null {
  const c = el.get('DCG')?.trim()
  return c === 'USA' || c === 'CAN' ? c : null
}

function nonEmpty(value: string | undefined): string | null {
  const v = value?.trim()
  return v ? v : null
}

// D.12.5.1 DBC: 1 male, 2 female, 9 not specified (2020); older payloads write M/F.
function readSex(value: string | undefined): 'F' | 'M' | 'X' | null {
  switch (value?.trim().toUpperCase()) {
    case '1':
    case 'M':
      return 'M'
    case '2':
    case 'F':
      return 'F'
    case '9':
    case 'X':
      return 'X'
    case undefined:
    default:
      return null
  }
}

// DDE/DDF/DDG: T truncated, N not truncated, U unknown.
function truncation(value: string | undefined): boolean | null {
  const v = value?.trim().toUpperCase()
  if (v === 'T') return true
  if (v === 'N') return false
  return null
}

interface Names {
  lastName: string | null
  firstName: string | null
  middleName: string | null
  fullName: string | null
}

// Issuers that write the DL/ID-2000 full name (DAA) as printed on the card, given names first
// and separated by spaces only ("JOHN CHESTER DOE"), where the standard has the family name
// first with commas. Pennsylvania's cards do (a series of its payloads from 2017 to 2021).
const FULL_NAME_GIVEN_FIRST: ReadonlySet<string> = new Set(['PA'])
const SUFFIX = /^(JR|SR|II|III|IV|V|VI|2ND|3RD|4TH)\.?$/

// Names moved between versions: DL/ID-2000 has DAA (full name, "LAST,FIRST,MIDDLE") and
// optionally DAB/DAC/DAD; versions 02 and 03 have DCS (family name) and DCT (given names,
// first then middle, comma separated); from version 04 on DCS, DAC and DAD (D.12.5.1).
// The first name is one name: when the first-name place holds several and no middle name is
// given apart, the first is the first name and the rest the middle name, as DCT is read, and
// the repair says so.
function readNames(payload: AamvaPayload, repairs: string[], jurisdiction: string | null): Names {
  const el = payload.standard.elements
  const fullName = nonEmpty(el.get('DAA'))
  // A single name never ends with a comma; some issuers leave the one that separated it from
  // the next name in DAA. When a name element is given twice with different values, no name
  // is read.
  const name = (id: string): string | null => {
    const value = nonEmpty(el.get(id))
    if (value === null || !value.endsWith(',')) return value
    repairs.push('name_trailing_comma')
    return nonEmpty(value.replace(/[\s,]+$/, ''))
  }
  const nameIds = ['DCS', 'DAB', 'DAC', 'DAD', 'DCT', 'DAA']
  if (nameIds.some((id) => payload.standard.conflicts.includes(id))) {
    repairs.push('name_conflict')
    return { lastName: null, firstName: null, middleName: null, fullName: null }
  }
  let lastName = name('DCS') ?? name('DAB')
  let firstName: string | null = null
  let middleName = name('DAD')
  // Several given names where one is due: the first, and the rest as the middle name.
  const given = (names: string | null, separator: RegExp): void => {
    const parts = (names ?? '').split(separator).filter((p) => p !== '')
    firstName = parts[0] ?? null
    if (parts.length < 2) return
    if (middleName === null) middleName = parts.slice(1).join(' ')
    repairs.push('given_names_in_first_name')
  }
  const first = name('DAC')
  const givenNames = nonEmpty(el.get('DCT'))
  if (first !== null) {
    // A comma separates given names (DCT, DAD: D.12.5.1); some issuers put first and middle
    // names in DAC as DCT had them, with a comma or a space.
    given(first, middleName === null ? /\s*,\s*|\s+/ : /\s*,\s*/)
  } else if (givenNames !== null) {
    // DCT holds the given names, first then middle: splitting it is no repair.
    const parts = givenNames.split(/\s*,\s*|\s+/).filter((p) => p !== '')
    firstName = parts[0] ?? null
    middleName ??= parts.length > 1 ? parts.slice(1).join(' ') : null
  }
  if (fullName !== null && (lastName === null || firstName === null)) {
    const separator = fullName.includes(',') ? ',' : fullName.includes('$') ? '$' : null
    const words = fullName.split(/\s+/)
    if (separator !== null) {
      const parts = fullName.split(separator).map((p) => p.trim())
      lastName ??= nonEmpty(parts[0])
      if (firstName === null) {
        // "LAST, FIRST MIDDLE": the middle name in the first name's place.
        if (parts.length === 2) given(nonEmpty(parts[1]), /\s+/)
        else firstName = nonEmpty(parts[1])
      }
      middleName ??= nonEmpty(parts[2])
    } else if (words.length === 1) {
      lastName ??= fullName
    } else if (jurisdiction !== null && FULL_NAME_GIVEN_FIRST.has(jurisdiction)) {
      // A generational suffix follows the family name ("JOHN CHESTER DOE JR").
      if (words.length > 2 && SUFFIX.test(words[words.length - 1] ?? '')) words.pop()
      lastName ??= words[words.length - 1] ?? null
      firstName ??= words[0] ?? null
      middleName ??= words.length > 2 ? words.slice(1, -1).join(' ') : null
      repairs.push('full_name_given_first')
    }
  }
  return { lastName, firstName, middleName, fullName }
}
