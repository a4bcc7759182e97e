// The engine's results, shaped as the `loom inspect` contract in DESIGN.md. Every engine reader
// (MRZ, AAMVA, and later faces) returns these; `api/` and `jobs/` map them to surfaces.

/** Closed set of reasons an input could not be read. "Not found" is a result, not an exception. */
export type EngineErrorCode =
  | 'DOCUMENT_INVALID_FORMAT' // not JPEG/PNG/WebP/BMP/TIFF/PDF (HEIC has its own message)
  | 'DOCUMENT_TOO_LARGE' // bytes over the limit, or dimensions/pixel count absurd (bomb)
  | 'DOCUMENT_CORRUPT' // truncated or undecodable file of an accepted format
  | 'DOCUMENT_QUALITY_LOW' // too small, too blurry, too dark, glare (see QualityIssue)
  | 'MRZ_NOT_FOUND' // no machine readable zone located
  | 'MRZ_UNREADABLE' // located, but check digits do not pick a single reading
  | 'BARCODE_NOT_FOUND' // no PDF417 located
  | 'BARCODE_UNREADABLE' // located but not decodable
  | 'AAMVA_INVALID' // decoded, but not an AAMVA DL/ID payload we can trust
  | 'DOCUMENT_NOT_FOUND' // neither an MRZ nor a barcode anywhere in the image
  | 'ENGINE_TIMEOUT' // reading took longer than its time budget
  | 'ENGINE_ERROR' // the reader failed unexpectedly (a bug; logged)

/** Why an image is of too low quality, in words a person can act on. */
export type QualityIssue = 'too_small' | 'blurry' | 'too_dark' | 'glare'

export interface EngineError {
  code: EngineErrorCode
  message: string
  quality?: QualityIssue[]
  /** Informational: capital height (px) of a machine readable zone located but not read. */
  glyphHeightPx?: number
  /** Informational: module width (px) of a PDF417 located but not read. */
  moduleSizePx?: number
}

/** An image decoded and judged, but not read: its size and what is wrong with it, if anything. */
export type ImageCheck =
  | { ok: true; width: number; height: number; quality: QualityIssue[] }
  | { ok: false; error: EngineError }

export type DocumentType =
  'passport' | 'id_card' | 'visa' | 'residence_permit' | 'drivers_license' | 'travel_document'

export type MrzFormat = 'TD1' | 'TD2' | 'TD3' | 'MRVA' | 'MRVB' | 'FRA_ID'

/**
 * A field no check digit protects (a name, optional data) on which the two MRZ readers support
 * different readings that each satisfy every check digit and field rule: each such reading.
 */
export interface MrzUnresolved {
  field: 'lastName' | 'firstName' | 'optionalData'
  candidates: string[]
}

export interface MrzBlock {
  format: MrzFormat
  /** As read; a character the readers could not settle (see `unresolved`) is `?`. */
  lines: string[]
  valid: boolean
  checks: Record<string, boolean>
  /**
   * Present only when some field is unresolved: the field is then null in `person`, and a
   * decision that needs it goes to review.
   */
  unresolved?: MrzUnresolved[]
  /** Informational, when read from an image: capital height of the zone (px of the image sent). */
  glyphHeightPx?: number
}

export interface AamvaBlock {
  version: number | null
  iin: string | null
  jurisdiction: string | null
  fileType: 'ANSI' | 'AAMVA' | null
  /** What was wrong with the payload and was repaired (e.g. 'bom', 'missing_record_separator'). */
  repairs?: string[]
  /** Informational, when read from an image: module width of the PDF417 (px of the image sent). */
  moduleSizePx?: number
}

export interface PersonFields {
  lastName: string | null
  firstName: string | null
  sex: 'F' | 'M' | 'X' | null
  dateOfBirth: string | null // YYYY-MM-DD
  /**
   * Present only when the document gives the year of birth in two digits that fit two centuries
   * (a holder born in 1912 or in 2012) and nothing on it tells which: both dates, older first.
   * `dateOfBirth` and `ageYears` are then null.
   */
  dateOfBirthCandidates?: string[]
  nationality: string | null
}

export interface DocumentFields {
  number: string | null
  issuer: string | null
  expiryDate: string | null // YYYY-MM-DD
  issueDate: string | null // YYYY-MM-DD
}

export interface InspectSuccess {
  ok: true
  source: 'mrz' | 'aamva'
  documentType: DocumentType
  mrz?: MrzBlock
  aamva?: AamvaBlock
  person: PersonFields
  document: DocumentFields
  ageYears: number | null
  expired: boolean | null
  /** Consistency checks beyond the MRZ/AAMVA block, each true (passed) or false (failed). */
  checks?: Record<string, boolean>
  timingsMs: Record<string, number> & { total: number }
}

export interface InspectFailure {
  ok: false
  error: EngineError
  timingsMs?: Record<string, number> & { total: number }
}

export type InspectResult = InspectSuccess | InspectFailure

/** Whole years between a YYYY-MM-DD birth date and a YYYY-MM-DD day (29 Feb birthdays turn on 1 Mar). */
export function ageOn(dateOfBirth: string, asOf: string): number {
  const [by, bm, bd] = dateOfBirth.split('-').map(Number) as [number, number, number]
  const [ay, am, ad] = asOf.split('-').map(Number) as [number, number, number]
  let age = ay - by
  if (am < bm || (am === bm && ad < bd)) age -= 1
  return age
}

/** Today's date in UTC as YYYY-MM-DD. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10)
}
