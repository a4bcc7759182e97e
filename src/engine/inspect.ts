// `loom inspect` as a library: read one document side (image or PDF) or MRZ text and shape the
// result as the inspect contract in DESIGN.md. The only I/O here is writing debug images when a
// debug directory is given.

import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import {
  assessQuality,
  decodeDocumentImage,
  type DocumentImage,
  type IntakeOptions,
} from './intake.ts'
import type { GrayImage } from './image.ts'
import { parseMrz, splitMrzText, type ParsedMrz } from './mrz/parse.ts'
import { detectLayout } from './mrz/layouts.ts'
import { readMrz, SURE_GLYPH_PX } from './mrz/read.ts'
import { birthDateOnPage } from './mrz/viz.ts'
import type { MrzReaderMode } from './mrz/vote.ts'
import { readAamvaFromImage } from './aamva/index.ts'
import {
  ageOn,
  todayUtc,
  type EngineError,
  type InspectFailure,
  type InspectResult,
  type InspectSuccess,
  type QualityIssue,
} from './types.ts'

export interface InspectOptions {
  /** Day ages and expiry are judged on (YYYY-MM-DD); default today (UTC). */
  asOf?: string
  /** Write the located MRZ crop and per-step images (PNG) here. */
  debugDir?: string
  /** Which reader to try: only the MRZ, only the barcode, or every reader (default). */
  hint?: 'mrz' | 'aamva' | 'auto'
  intake?: IntakeOptions
  /** Which MRZ reader decides (default: both, by vote); for evaluation. */
  mrzReader?: MrzReaderMode
}

type Timings = Record<string, number> & { total: number }

const failure = (error: EngineError, timingsMs?: Timings): InspectFailure =>
  timingsMs ? { ok: false, error, timingsMs } : { ok: false, error }

/** Shape a parsed MRZ as an inspect success. */
export function mrzToInspect(m: ParsedMrz, asOf: string, timingsMs: Timings): InspectSuccess {
  return {
    ok: true,
    source: 'mrz',
    documentType: m.documentType,
    mrz: {
      format: m.format,
      lines: m.lines,
      valid: m.valid,
      checks: m.checks,
      ...(m.unresolved?.length && { unresolved: m.unresolved }),
    },
    person: {
      lastName: m.lastName,
      firstName: m.firstName,
      sex: m.sex,
      dateOfBirth: m.dateOfBirth,
      ...(m.dateOfBirthCandidates && { dateOfBirthCandidates: [...m.dateOfBirthCandidates] }),
      nationality: m.nationality,
    },
    document: {
      number: m.documentNumber,
      issuer: m.issuer,
      expiryDate: m.expiryDate,
      issueDate: null, // no MRZ layout carries a full issue date
    },
    ...(m.birthCenturyFromViz && { checks: { vizBirthDate: true } }),
    ageYears: m.dateOfBirth ? ageOn(m.dateOfBirth, asOf) : null,
    // A document is valid through its expiry day.
    expired: m.expiryDate ? m.expiryDate < asOf : null,
    timingsMs,
  }
}

/** Inspect MRZ text (two or three lines as printed); a checksum failure is reported, not hidden. */
export function inspectMrzText(text: string, opts: { asOf?: string } = {}): InspectResult {
  const t0 = performance.now()
  const asOf = opts.asOf ?? todayUtc()
  const all = splitMrzText(text)
  // Tolerate surrounding lines (a header, a blank): fall back to the last run of MRZ-length lines.
  let lines = all
  if (!detectLayout(all)) {
    const mrzLines = all.filter((l) => [30, 36, 44].includes(l.length))
    const len = mrzLines.at(-1)?.length
    lines = mrzLines.filter((l) => l.length === len).slice(len === 30 ? -3 : -2)
    if (lines.length === 0) lines = all
  }
  const parsed = parseMrz({ lines }, { asOf })
  const total = Math.round(performance.now() - t0)
  if (!parsed.ok) {
    return failure({ code: parsed.code, message: parsed.message }, { total })
  }
  return mrzToInspect(parsed.mrz, asOf, { total })
}

/** What a reader of one document side gets: the decoded image and the inspect options. */
export interface ReaderContext {
  asOf: string
  debug?: (name: string, image: GrayImage) => void
  mrzReader?: MrzReaderMode
}

type ImageReader = (image: DocumentImage, ctx: ReaderContext) => Promise<InspectResult>

/**
 * Capital height (px of the image sent) below which a machine readable zone located but not read
 * is put down to its size: the person is asked to move closer rather than told it is unreadable.
 */
const MIN_GLYPH_PX = SURE_GLYPH_PX
/**
 * Below this capital height even a reading whose check digits hold is refused as too small: too
 * few pixels a letter leave the check digits to stand alone. With the two readers voting, three
 * public specimen scans with 7.9-px letters read right, and generated specimens read with none
 * wrong down to 6.2 px (`npm run eval -- mrz` style pages at 2.5–3.4 px/mm: 384 pages, 0 wrong,
 * every page from 6.7 px up read); 7 keeps a margin above that.
 */
const MIN_READ_GLYPH_PX = 7

const round1 = (x: number): number => Math.round(x * 10) / 10

function tooSmallZone(glyphHeightPx: number, needed: number, total: number): InspectFailure {
  return failure(
    {
      code: 'DOCUMENT_QUALITY_LOW',
      message: `The machine readable zone's letters are ${glyphHeightPx} px tall; they need at least ${needed} px to be read surely. Move closer or use a higher resolution.`,
      quality: ['too_small'],
      glyphHeightPx,
    },
    { total },
  )
}

const readMrzSide: ImageReader = async (image, ctx) => {
  const t0 = performance.now()
  const r = await readMrz(image, {
    asOf: ctx.asOf,
    debug: ctx.debug,
    ...(ctx.mrzReader && { reader: ctx.mrzReader }),
  })
  const total = Math.round(performance.now() - t0)
  // Heights in pixels of the image the person sent (intake may have scaled a large one down).
  const toSent = image.sourceWidth / image.width
  if (!r.ok) {
    const glyph = r.glyphHeightPx ? round1(r.glyphHeightPx * toSent) : undefined
    if (glyph !== undefined && glyph < MIN_GLYPH_PX) return tooSmallZone(glyph, MIN_GLYPH_PX, total)
    return failure(
      { code: r.code, message: r.message, ...(glyph !== undefined && { glyphHeightPx: glyph }) },
      { total },
    )
  }
  const glyph = round1(r.glyphHeightPx * toSent)
  if (glyph < MIN_READ_GLYPH_PX) return tooSmallZone(glyph, MIN_READ_GLYPH_PX, total)
  const result = mrzToInspect(r.mrz, ctx.asOf, { ...r.timingsMs, total })
  return { ...result, mrz: { ...result.mrz!, glyphHeightPx: glyph } }
}

/**
 * Readers tried on an image, in order; the first success wins.
 * ── AAMVA hook ── the PDF417 reader in src/engine/aamva/ goes in this list as
 * `{ source: 'aamva', read: <its ImageReader> }` (one line plus its import).
 */
const IMAGE_READERS: { source: 'mrz' | 'aamva'; read: ImageReader }[] = [
  { source: 'mrz', read: readMrzSide },
  { source: 'aamva', read: readAamvaFromImage },
]

const SPECIFICITY: Record<string, number> = {
  // A reader located its zone and found it too small to read. Equal to the other located
  // failures, so the reader tried first wins a tie: a German ID card's unread MRZ is not put
  // down to the fine "bars" the barcode reader took it for.
  DOCUMENT_QUALITY_LOW: 3,
  MRZ_UNREADABLE: 3,
  BARCODE_UNREADABLE: 3,
  AAMVA_INVALID: 3,
  MRZ_NOT_FOUND: 1,
  BARCODE_NOT_FOUND: 1,
}

/** A failure at least this specific means a reader located its zone (MRZ lines, a barcode). */
const LOCATED = 3
/** What a person is told first when a photo has several faults. */
const ISSUE_ORDER: readonly QualityIssue[] = ['too_small', 'too_dark', 'blurry', 'glare']
/**
 * Below this edge sharpness a located zone that was not read is put down to blur (a sharp
 * specimen scores above 1, one blurred until its MRZ no longer reads 0.14–0.27; the hard "blurry"
 * verdict of assessQuality is below 0.12).
 */
const SOFT_SHARPNESS = 0.3

/** Inspect an image or PDF of one document side: intake, then each reader until one succeeds. */
export async function inspectImage(
  bytes: Uint8Array,
  opts: InspectOptions = {},
): Promise<InspectResult> {
  const t0 = performance.now()
  const asOf = opts.asOf ?? todayUtc()
  const decoded = await decodeDocumentImage(bytes, opts.intake)
  const decodeMs = Math.round(performance.now() - t0)
  if (!decoded.ok) return failure(decoded.error, { decode: decodeMs, total: decodeMs })
  const image = decoded.image

  const debugImages: { name: string; image: GrayImage }[] = []
  const ctx: ReaderContext = { asOf, ...(opts.mrzReader && { mrzReader: opts.mrzReader }) }
  if (opts.debugDir) ctx.debug = (name, img) => debugImages.push({ name, image: img })

  const readers = IMAGE_READERS.filter(
    (r) => !opts.hint || opts.hint === 'auto' || r.source === opts.hint,
  )
  const failures: EngineError[] = []
  let result: InspectResult | null = null
  for (const reader of readers) {
    const r = await reader.read(image, ctx)
    if (r.ok) {
      result = r
      break
    }
    failures.push(r.error)
  }
  if (opts.debugDir) await writeDebugImages(opts.debugDir, debugImages)
  const total = Math.round(performance.now() - t0)
  if (result?.ok) {
    return { ...result, timingsMs: { ...result.timingsMs, decode: decodeMs, total } }
  }

  // Nothing read: blame the image when it is visibly poor, otherwise say what was (not) found.
  // Glare is a fault of a document's surface: it is blamed only when a reader located a zone it
  // could not read (a photo of people with a bright window has glare but no document in it).
  const quality = assessQuality(image)
  const timingsMs = { decode: decodeMs, total }
  const located = failures.some((f) => (SPECIFICITY[f.code] ?? 0) >= LOCATED)
  // The most specific failure wins; between equally specific ones (sort is stable) the reader
  // tried first, so a located but unreadable MRZ is reported before a barcode reader that took
  // the same zone for a barcode-like pattern. MRZ_NOT_FOUND still yields to a barcode seen.
  failures.sort((a, b) => (SPECIFICITY[b.code] ?? 0) - (SPECIFICITY[a.code] ?? 0))
  // A reader that found its zone too small (MRZ letters, barcode modules) says so with its size.
  const small = failures[0]?.code === 'DOCUMENT_QUALITY_LOW' ? failures[0] : undefined
  const issues = [...new Set([...(small?.quality ?? []), ...quality.issues])]
    .filter((issue) => issue !== 'glare' || located)
    .sort((a, b) => ISSUE_ORDER.indexOf(a) - ISSUE_ORDER.indexOf(b))
  if (issues.length > 0) {
    return failure(
      {
        code: 'DOCUMENT_QUALITY_LOW',
        message:
          issues.length === 1 && small
            ? small.message
            : `Could not read the document; the photo is ${issues.map(describeIssue).join(', ')}.`,
        quality: issues,
        ...(small?.glyphHeightPx !== undefined && { glyphHeightPx: small.glyphHeightPx }),
        ...(small?.moduleSizePx !== undefined && { moduleSizePx: small.moduleSizePx }),
      },
      timingsMs,
    )
  }
  const best = failures[0]
  if (!best)
    return failure({ code: 'DOCUMENT_NOT_FOUND', message: 'No reader applies.' }, timingsMs)
  if (readers.length > 1 && failures.every((f) => (SPECIFICITY[f.code] ?? 0) <= 1)) {
    return failure(
      {
        code: 'DOCUMENT_NOT_FOUND',
        message: 'Neither a machine readable zone nor a barcode was found in the image.',
      },
      timingsMs,
    )
  }
  // A zone located but not read in a soft photo: the likely cause goes with the reader's error
  // (its code stays), so the person hears "blurry" rather than "the lines could not be read".
  if ((SPECIFICITY[best.code] ?? 0) >= LOCATED && quality.sharpness < SOFT_SHARPNESS) {
    return failure({ ...best, quality: ['blurry'] }, timingsMs)
  }
  return failure(best, timingsMs)
}

function describeIssue(issue: string): string {
  switch (issue) {
    case 'too_small':
      return 'too small (move closer)'
    case 'blurry':
      return 'blurry (hold still, let the camera focus)'
    case 'too_dark':
      return 'too dark (add light)'
    case 'glare':
      return 'washed out by glare (tilt the document away from the light)'
    default:
      return issue
  }
}

async function writeDebugImages(
  dir: string,
  images: { name: string; image: GrayImage }[],
): Promise<void> {
  await mkdir(dir, { recursive: true })
  let i = 0
  for (const { name, image } of images) {
    const file = join(
      dir,
      `${String(i++).padStart(2, '0')}-${name.replace(/[^a-z0-9-]+/gi, '_')}.png`,
    )
    const png = await sharp(image.gray, {
      raw: { width: image.width, height: image.height, channels: 1 },
    })
      .png()
      .toBuffer()
    await writeFile(file, png)
  }
}

/**
 * Settle a birth century the MRZ left open from another image of the same document: an ID
 * card's front prints the date of birth in full while its MRZ, on the back, gives two digits of
 * the year. The birth date among `candidates` that image prints, when it prints exactly one of
 * them with every digit read surely; null otherwise (and for an image that does not decode).
 */
export async function birthDateOnImage(
  bytes: Uint8Array,
  candidates: [string, string],
): Promise<string | null> {
  const decoded = await decodeDocumentImage(bytes)
  if (!decoded.ok) return null
  return birthDateOnPage(decoded.image, candidates)
}
