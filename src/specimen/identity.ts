// Random but reproducible identities for specimen documents: a seeded PRNG and a person with
// names, dates and numbers, including some minors and some expired documents.

/** A small seeded PRNG (mulberry32): same seed, same sequence, on every platform. */
export interface Rng {
  next(): number
  int(min: number, max: number): number
  pick<T>(items: readonly T[]): T
  chance(p: number): boolean
  normal(): number
}

/** Create a deterministic PRNG from a 32-bit seed. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
    normal: () => {
      const u = Math.max(1e-12, next())
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next())
    },
  }
}

const SURNAMES = [
  'ERIKSSON',
  'MUELLER',
  'DUBOIS',
  'GARCIA',
  'ROSSI',
  'NOWAK',
  'JANSEN',
  'SMITH',
  'OBRIEN',
  'KOWALSKI',
  'PAPADOPOULOS',
  'NGUYEN',
  'OKAFOR',
  'HASSAN',
  'SILVA',
  'VAN DER BERG',
  'DE LA CRUZ',
  'MARTIN',
  'BERTHIER',
  'QUIXOTE',
  'ZIELINSKI',
  'JOHANSSON',
  'FITZGERALD',
  'LOPEZ',
  'WOJCIK',
  'YILMAZ',
  'KIM',
  'TANAKA',
  'BACH',
  'OXLEY',
  'IVANOVA',
  'SCHWARZENEGGER',
  'ABDULRAHMAN',
  'MONTGOMERY-SMYTHE',
  'LI',
  'BJORKLUND',
  'HAVLICEK',
  'QUINTERO',
  'VOSS',
  'ZANETTI',
] as const
const GIVEN_F = [
  'ANNA',
  'MARIA',
  'SOPHIE',
  'CORINNE',
  'ZOE',
  'HANNA',
  'BEATRIZ',
  'OLGA',
  'YUKI',
  'AMINA',
  'CLAIRE',
  'INGRID',
  'XIMENA',
  'QUEENIE',
  'EVA',
  'LUCIA',
  'GRETA',
  'SIOBHAN',
] as const
const GIVEN_M = [
  'PETER',
  'JOHN',
  'JAN',
  'LUCAS',
  'MOHAMED',
  'PIERRE',
  'OSKAR',
  'BORIS',
  'HIROSHI',
  'DIEGO',
  'KWAME',
  'ZBIGNIEW',
  'QUENTIN',
  'IVAN',
  'MATEO',
  'SVEN',
  'BJORN',
  'XAVIER',
] as const
/** Issuing states and nationalities (ICAO 9303-3 §5 codes), including 'D' for Germany and 'UTO'. */
export const COUNTRIES = [
  'UTO',
  'D',
  'FRA',
  'GBR',
  'NLD',
  'ITA',
  'ESP',
  'POL',
  'SWE',
  'USA',
  'CAN',
  'BEL',
  'AUT',
  'CHE',
  'IRL',
  'PRT',
  'GRC',
  'NOR',
  'JPN',
  'BRA',
] as const

export interface Identity {
  lastName: string
  /** Given names separated by single spaces; '' when the person has none. */
  firstName: string
  sex: 'M' | 'F' | 'X' | null
  dateOfBirth: string // YYYY-MM-DD
  nationality: string
  issuer: string
  documentNumber: string
  issueDate: string
  expiryDate: string
  /** Personal number / optional data ('' when unused). */
  optionalData: string
}

const pad = (n: number): string => String(n).padStart(2, '0')
const isoDay = (d: Date): string => d.toISOString().slice(0, 10)

function addDays(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return isoDay(d)
}

function randomAlnum(rng: Rng, n: number, digitShare = 0.6): string {
  let s = ''
  for (let i = 0; i < n; i++) {
    s += rng.chance(digitShare) ? String(rng.int(0, 9)) : String.fromCharCode(65 + rng.int(0, 25))
  }
  return s
}

export interface IdentityOptions {
  /** Day ages and expiry are relative to (YYYY-MM-DD). */
  asOf: string
  /** Share of minors (under 18), default 0.15. */
  minors?: number
  /** Share of expired documents, default 0.12. */
  expired?: number
  /** Share of document numbers longer than 9 characters, default 0. */
  longNumbers?: number
}

/** A random person and document data, reproducible from the PRNG state. */
export function randomIdentity(rng: Rng, opts: IdentityOptions): Identity {
  const sexRoll = rng.next()
  const sex: Identity['sex'] =
    sexRoll < 0.48 ? 'F' : sexRoll < 0.96 ? 'M' : sexRoll < 0.98 ? 'X' : null
  const givenPool = sex === 'M' ? GIVEN_M : sex === 'F' ? GIVEN_F : [...GIVEN_F, ...GIVEN_M]
  const givenCount = rng.chance(0.1) ? 0 : rng.chance(0.35) ? 2 : rng.chance(0.08) ? 3 : 1
  const given: string[] = []
  for (let i = 0; i < givenCount; i++) given.push(rng.pick(givenPool))
  let lastName: string = rng.pick(SURNAMES)
  if (rng.chance(0.06)) lastName = `${lastName} ${rng.pick(SURNAMES)}` // long, may be truncated

  const asOfYear = Number(opts.asOf.slice(0, 4))
  const minor = rng.chance(opts.minors ?? 0.15)
  const age = minor ? rng.int(0, 17) : rng.int(18, 90)
  const month = rng.int(1, 12)
  const day = rng.int(1, 28)
  let dateOfBirth = `${asOfYear - age}-${pad(month)}-${pad(day)}`
  if (dateOfBirth > opts.asOf) dateOfBirth = `${asOfYear - age - 1}-${pad(month)}-${pad(day)}`

  const expired = rng.chance(opts.expired ?? 0.12)
  const validYears = age < 18 ? 5 : 10
  const expiryDate = expired
    ? addDays(opts.asOf, -rng.int(1, 3 * 365))
    : addDays(opts.asOf, rng.int(1, validYears * 365 - 1))
  const issueDate = addDays(expiryDate, -validYears * 365)

  const issuer = rng.pick(COUNTRIES)
  const nationality = rng.chance(0.85) ? issuer : rng.pick(COUNTRIES)
  const long = rng.chance(opts.longNumbers ?? 0)
  const documentNumber = long
    ? randomAlnum(rng, rng.int(10, 12))
    : rng.chance(0.1)
      ? randomAlnum(rng, rng.int(7, 8))
      : randomAlnum(rng, 9)
  const optionalData = rng.chance(0.5) ? randomAlnum(rng, rng.int(4, 10), 0.8) : ''
  return {
    lastName,
    // The mark of every document this generator draws: live mode refuses it as a specimen
    // (domain/specimens.ts), test mode reads it as any other document.
    firstName: ['SPECIMEN', ...given].join(' '),
    sex,
    dateOfBirth,
    nationality,
    issuer,
    documentNumber,
    issueDate,
    expiryDate,
    optionalData,
  }
}
