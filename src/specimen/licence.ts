// Specimen driver's licences and ID cards: AAMVA payloads of every version (pre-standard 00,
// DL/ID-2000 01, Card Design Specifications/Standards 02…10) for US and Canadian jurisdictions,
// whose card images licence-image.ts draws. Deterministic: the same seed gives the same
// card, and the ground truth is known exactly.
import { createRng } from './identity.ts'

export interface SpecimenJurisdiction {
  code: string
  iin: string
  country: 'USA' | 'CAN'
  /** Postal code shape for DAK. */
  postal: (rand: () => number) => string
}

export type LicenceDamage =
  | 'bom'
  | 'leading_whitespace'
  | 'scanner_junk'
  | 'crlf'
  | 'cr_for_lf'
  | 'fs_for_rs'
  | 'missing_rs'
  | 'wrong_lengths'

/** What a generated licence says, exactly. */
export interface LicenceTruth {
  version: number
  iin: string
  jurisdiction: string
  country: 'USA' | 'CAN'
  fileType: 'ANSI' | 'AAMVA'
  documentType: 'drivers_license' | 'id_card'
  lastName: string
  firstName: string
  middleName: string | null
  sex: 'M' | 'F' | 'X'
  dateOfBirth: string
  issueDate: string
  expiryDate: string
  number: string
  /** How the payload wrote its dates. */
  dateOrder: 'MDY' | 'YMD'
  /** Whether the family name was cut to fit (DDE = T). */
  lastNameTruncated: boolean
}

export interface LicenceSpecimen {
  payload: string
  truth: LicenceTruth
}

export interface LicenceOptions {
  /** AAMVA version 0…10; random when absent. */
  version?: number
  /** Two-letter jurisdiction code from SPECIMEN_JURISDICTIONS; random when absent. */
  jurisdiction?: string
  documentType?: 'drivers_license' | 'id_card'
  /** Age in whole years on `asOf`; random (16…80, with minors) when absent. */
  age?: number
  /** Day the card is meant to be read; ages and validity are set around it. Default 2026-06-01. */
  asOf?: string
}

const digits = (rand: () => number, n: number): string =>
  Array.from({ length: n }, () => Math.floor(rand() * 10)).join('')

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
const letter = (rand: () => number): string => LETTERS[Math.floor(rand() * 26)] ?? 'A'

const usZip = (rand: () => number): string => `${10000 + Math.floor(rand() * 89999)}0000`

export const SPECIMEN_JURISDICTIONS: SpecimenJurisdiction[] = [
  { code: 'VA', iin: '636000', country: 'USA', postal: usZip },
  { code: 'NY', iin: '636001', country: 'USA', postal: usZip },
  { code: 'CA', iin: '636014', country: 'USA', postal: usZip },
  { code: 'TX', iin: '636015', country: 'USA', postal: usZip },
  { code: 'FL', iin: '636010', country: 'USA', postal: usZip },
  { code: 'MS', iin: '636051', country: 'USA', postal: usZip },
  { code: 'WA', iin: '636045', country: 'USA', postal: usZip },
  { code: 'ON', iin: '636012', country: 'CAN', postal: () => 'K1A0B1' },
  { code: 'QC', iin: '604428', country: 'CAN', postal: () => 'H2X1Y4' },
  { code: 'BC', iin: '636028', country: 'CAN', postal: () => 'V6B4Y8' },
  { code: 'AB', iin: '604432', country: 'CAN', postal: () => 'T5J0N3' },
]

const LAST_NAMES = [
  'SMITH',
  'GARCIA',
  'NGUYEN',
  "O'BRIEN",
  'TREMBLAY',
  'VAN DER BERG',
  'WASHINGTON-HARRIS',
  'LI',
  'KOWALCZYK',
  'MONTGOMERY-FITZWILLIAMS-ABERNATHY',
]
const FIRST_NAMES = [
  'JAMES',
  'MARIA',
  'WEI',
  'OLIVIA',
  'JEAN-LUC',
  'AMIR',
  'CHLOE',
  'DMITRI',
  'ZOE',
]
const MIDDLE_NAMES = ['ANN', 'LEE', 'MARIE', 'JOSEPH', 'ROSE', 'K']
const STREETS = ['123 MAIN ST', '45 ELM AVE APT 3', '9 RUE SAINT-DENIS', '1600 N OAK BLVD']
const CITIES = ['RICHMOND', 'SPRINGFIELD', 'TORONTO', 'MONTREAL', 'AUSTIN']
const EYES = ['BRO', 'BLU', 'GRN', 'HAZ', 'GRY']

// Family-name field length from version 04 on (D.12.5.1, DCS: 40 characters).
const FAMILY_NAME_MAX = 40
// Kept short so a specimen card holds a single symbol of ordinary size.
const SPECIMEN_FAMILY_NAME_MAX = 28

/** Adds whole years (and days) to a YYYY-MM-DD date, 29 Feb rolling to 1 Mar. */
export function addToDate(iso: string, years: number, days = 0): string {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number]
  const date = new Date(Date.UTC(y + years, m - 1, d + days))
  return date.toISOString().slice(0, 10)
}

function formatDate(iso: string, order: 'MDY' | 'YMD'): string {
  const [y, m, d] = iso.split('-') as [string, string, string]
  return order === 'MDY' ? `${m}${d}${y}` : `${y}${m}${d}`
}

/** Generates one licence payload and its ground truth from a seed. */
export function generateLicence(seed: number, options: LicenceOptions = {}): LicenceSpecimen {
  const rng = createRng(seed)
  const rand = (): number => rng.next()
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T
  const asOf = options.asOf ?? '2026-06-01'
  const version = options.version ?? Math.floor(rand() * 11)
  const jurisdiction =
    SPECIMEN_JURISDICTIONS.find((j) => j.code === options.jurisdiction) ??
    pick(SPECIMEN_JURISDICTIONS)
  const documentType = options.documentType ?? (rand() < 0.25 ? 'id_card' : 'drivers_license')
  // One in four are minors: under 18 and under 21 both appear.
  const age =
    options.age ?? (rand() < 0.25 ? 14 + Math.floor(rand() * 7) : 21 + Math.floor(rand() * 60))
  const dateOfBirth = addToDate(asOf, -age - 1, 1 + Math.floor(rand() * 364))
  const issueDate = addToDate(asOf, 0, -(1 + Math.floor(rand() * 1400)))
  const expiryDate = addToDate(issueDate, 4 + Math.floor(rand() * 5), Math.floor(rand() * 60))

  const fullLastName = pick(LAST_NAMES)
  const firstName = pick(FIRST_NAMES)
  const middleName = rand() < 0.7 ? pick(MIDDLE_NAMES) : null
  const truncatable = version >= 4 && fullLastName.length > SPECIMEN_FAMILY_NAME_MAX
  const lastName = truncatable
    ? fullLastName.slice(0, Math.min(SPECIMEN_FAMILY_NAME_MAX, FAMILY_NAME_MAX))
    : fullLastName
  // Sex "not specified" (9) exists from the 2020 standard (version 10).
  const sex: 'M' | 'F' | 'X' = version >= 10 && rand() < 0.1 ? 'X' : rand() < 0.5 ? 'M' : 'F'
  const number =
    jurisdiction.country === 'CAN'
      ? `${letter(rand)}${digits(rand, 4)}-${digits(rand, 5)}-${digits(rand, 5)}`
      : `${letter(rand)}${digits(rand, 8)}`

  // Date layout: Canada CCYYMMDD always; US MMDDCCYY from version 02; version 01 CCYYMMDD by
  // the standard, though some US issuers wrote MMDDCCYY (as pre-standard cards mostly did).
  const dateOrder: 'MDY' | 'YMD' =
    jurisdiction.country === 'CAN'
      ? 'YMD'
      : version === 1
        ? rand() < 0.7
          ? 'YMD'
          : 'MDY'
        : version === 0
          ? rand() < 0.7
            ? 'MDY'
            : 'YMD'
          : 'MDY'
  const date = (iso: string): string => formatDate(iso, dateOrder)
  const sexCode = sex === 'X' ? '9' : sex === 'M' ? '1' : '2'
  const isDl = documentType === 'drivers_license'

  const elements: [string, string][] = []
  const add = (id: string, value: string): void => {
    elements.push([id, value])
  }
  if (version <= 1) {
    const parts = [lastName, firstName, ...(middleName === null ? [] : [middleName])]
    add('DAA', parts.join(','))
    add('DAG', pick(STREETS))
    add('DAI', pick(CITIES))
    add('DAJ', jurisdiction.code)
    add('DAK', jurisdiction.postal(rand))
    add('DAQ', number)
    if (isDl) {
      add('DAR', 'D')
      add('DAS', 'NONE')
      add('DAT', 'NONE')
    }
    add('DBA', date(expiryDate))
    add('DBB', date(dateOfBirth))
    add('DBC', version === 0 ? sex : sexCode)
    add('DBD', date(issueDate))
    add('DAU', `${5 + Math.floor(rand() * 2)}-${String(Math.floor(rand() * 12)).padStart(2, '0')}`)
    add('DAY', pick(EYES))
  } else {
    if (isDl) {
      add('DCA', pick(['C', 'D', 'G', 'M']))
      add('DCB', 'NONE')
      add('DCD', 'NONE')
    }
    add('DBA', date(expiryDate))
    add('DCS', lastName)
    if (version <= 3) {
      add('DCT', middleName === null ? firstName : `${firstName},${middleName}`)
    } else {
      add('DAC', firstName)
      add('DAD', middleName ?? 'NONE')
    }
    add('DBD', date(issueDate))
    add('DBB', date(dateOfBirth))
    add('DBC', sexCode)
    add('DAY', pick(EYES))
    add('DAU', `${String(150 + Math.floor(rand() * 50))} cm`)
    add('DAG', pick(STREETS))
    add('DAI', pick(CITIES))
    add('DAJ', jurisdiction.code)
    add('DAK', jurisdiction.postal(rand))
    add('DAQ', number)
    add('DCF', `${digits(rand, 10)}${letter(rand)}${letter(rand)}`)
    add('DCG', jurisdiction.country)
    if (version >= 4) {
      add('DDE', truncatable ? 'T' : 'N')
      add('DDF', 'N')
      add('DDG', 'N')
      add('DDA', 'F')
      add('DDB', date(addToDate(issueDate, -2)))
    }
    if (version >= 5 && age < 21) {
      add('DDH', date(addToDate(dateOfBirth, 18)))
      add('DDI', date(addToDate(dateOfBirth, 19)))
      add('DDJ', date(addToDate(dateOfBirth, 21)))
    }
    if (version >= 9 && rand() < 0.5) add('DDK', '1')
  }

  // The jurisdiction subfile: Z plus the first letter of the jurisdiction (D.12.5.2). It holds
  // a date-like element on purpose: it must never override the standard DBB.
  const zType = `Z${jurisdiction.code[0] ?? 'X'}`
  const zElements: [string, string][] = [
    [`${zType}A`, digits(rand, 2)],
    [`${zType}B`, date(addToDate(dateOfBirth, 1))],
  ]

  const fileType = version === 0 ? 'AAMVA' : 'ANSI'
  const payload = assemblePayload({
    fileType,
    iin: jurisdiction.iin,
    version,
    jurisdictionVersion: version >= 2 ? 1 + Math.floor(rand() * 9) : null,
    subfiles: [
      { type: isDl ? 'DL' : 'ID', elements },
      { type: zType, elements: zElements },
    ],
  })
  return {
    payload,
    truth: {
      version,
      iin: jurisdiction.iin,
      jurisdiction: jurisdiction.code,
      country: jurisdiction.country,
      fileType,
      documentType,
      lastName,
      firstName,
      middleName,
      sex: version === 0 || version === 1 ? (sex === 'X' ? 'M' : sex) : sex,
      dateOfBirth,
      issueDate,
      expiryDate,
      number,
      dateOrder,
      lastNameTruncated: truncatable,
    },
  }
}

interface PayloadParts {
  fileType: 'ANSI' | 'AAMVA'
  iin: string
  version: number
  jurisdictionVersion: number | null
  subfiles: { type: string; elements: [string, string][] }[]
}

/** Assembles header, directory and subfiles with exact offsets and lengths (Annex D, D.12.3). */
export function assemblePayload(parts: PayloadParts): string {
  const two = (n: number): string => String(n).padStart(2, '0')
  const four = (n: number): string => String(n).padStart(4, '0')
  const bodies = parts.subfiles.map(
    (s) => `${s.type}${s.elements.map(([id, v]) => `${id}${v}`).join('\n')}\r`,
  )
  const header =
    `@\n\x1e\r${parts.fileType === 'AAMVA' ? 'AAMVA' : 'ANSI '}${parts.iin}${two(parts.version)}` +
    (parts.jurisdictionVersion === null ? '' : two(parts.jurisdictionVersion)) +
    two(parts.subfiles.length)
  let offset = header.length + 10 * parts.subfiles.length
  let directory = ''
  for (const [i, s] of parts.subfiles.entries()) {
    const length = bodies[i]?.length ?? 0
    directory += `${s.type}${four(offset)}${four(length)}`
    offset += length
  }
  return header + directory + bodies.join('')
}

/** Applies one kind of real-world damage to a payload, as scanners and issuers produce it. */
export function damagePayload(payload: string, damage: LicenceDamage): string {
  switch (damage) {
    case 'bom':
      return `\ufeff${payload}`
    case 'leading_whitespace':
      return `  \n${payload}`
    case 'scanner_junk':
      return `\x02]L2${payload.replace('\nDBB', '\n\x00DBB')}\x04`
    case 'crlf':
      return payload.replace(/(?<=[^@])\n/g, '\r\n')
    case 'cr_for_lf':
      return payload.slice(0, 4) + payload.slice(4).replace(/\n/g, '\r')
    case 'fs_for_rs':
      return payload.replace('\x1e', '\x1c')
    case 'missing_rs':
      return payload.replace('\x1e', '')
    case 'wrong_lengths': {
      // Only the directory: it ends where the first subfile begins.
      const first = /(?:DL|ID|Z[A-Z])(\d{4})\d{4}/.exec(payload)
      const directoryEnd = first === null ? 0 : Number(first[1])
      const directory = payload
        .slice(0, directoryEnd)
        .replace(/(DL|ID|Z[A-Z])(\d{4})(\d{4})/g, (_m, t: string, o: string) => {
          return `${t}${o}${String(Math.floor(Number(o) / 3)).padStart(4, '0')}`
        })
      return directory + payload.slice(directoryEnd)
    }
  }
}

export const ALL_DAMAGES: LicenceDamage[] = [
  'bom',
  'leading_whitespace',
  'scanner_junk',
  'crlf',
  'cr_for_lf',
  'fs_for_rs',
  'missing_rs',
  'wrong_lengths',
]
