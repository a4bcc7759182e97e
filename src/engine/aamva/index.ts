// Entry points of the AAMVA reader: a photo of a licence's back (PDF417) or a raw payload, to
// the `loom inspect` result.
import { decodeDocumentImage } from '../intake.ts'
import type { IntakeOptions } from '../intake.ts'
import type { InspectResult } from '../types.ts'
import { inspectAamvaText } from './inspect-text.ts'
import type { AamvaInspectOptions } from './inspect-text.ts'
import { readPdf417 } from './pdf417.ts'
import type { GrayImage } from '../image.ts'

export { inspectAamvaText, aamvaInspectResult } from './inspect-text.ts'
export type { AamvaInspectBlock, AamvaInspectOptions } from './inspect-text.ts'
export { parseAamvaPayload } from './parse.ts'
export type { AamvaPayload, AamvaParseFailure } from './parse.ts'
export { readPdf417 } from './pdf417.ts'
export type { Pdf417Read } from './pdf417.ts'

export interface AamvaImageOptions extends AamvaInspectOptions {
  /** PDF417 decode attempts at most (default 8). */
  maxAttempts?: number
  /** Safety net: no new decode attempt after this many milliseconds (default 2500). */
  budgetMs?: number
  /** Called after each PDF417 decode attempt (for evaluation and debugging). */
  trace?: (strategy: string, ms: number, decoded: boolean) => void
}

/**
 * Narrowest PDF417 module (px of the image sent) a located but undecoded barcode is not put down
 * to its size: below it the person is asked to move closer.
 */
const MIN_MODULE_PX = 1.5

/** Reads the AAMVA PDF417 in a decoded grayscale image of a card's back. */
export async function readAamvaFromImage(
  image: GrayImage,
  options: AamvaImageOptions = {},
): Promise<InspectResult> {
  const started = performance.now()
  const read = await readPdf417(image, {
    maxAttempts: options.maxAttempts,
    budgetMs: options.budgetMs,
    trace: options.trace,
  })
  const barcodeMs = round(performance.now() - started)
  // Module widths in pixels of the image the person sent (intake may have scaled it down).
  const toSent =
    'sourceWidth' in image && typeof image.sourceWidth === 'number'
      ? image.sourceWidth / image.width
      : 1
  const module = read.moduleSizePx === undefined ? undefined : round(read.moduleSizePx * toSent)
  if (!read.ok) {
    if (read.fail === 'BARCODE_UNREADABLE' && module !== undefined && module < MIN_MODULE_PX) {
      return {
        ok: false,
        error: {
          code: 'DOCUMENT_QUALITY_LOW',
          message: `The barcode's bars are ${module} px wide; at least ${MIN_MODULE_PX} are needed to decode them. Move closer or use a higher resolution.`,
          quality: ['too_small'],
          moduleSizePx: module,
        },
        timingsMs: { barcode: barcodeMs, total: barcodeMs },
      }
    }
    // Bars without a start or stop pattern are no symbol (print, a widely spaced MRZ): a person
    // is not told about a barcode their document does not have. Only for modules large enough
    // to decode: finer ones smear the guard bar into its neighbours, and "move closer" is the
    // advice for a document that small in the frame either way.
    if (read.fail === 'BARCODE_NOT_FOUND' || read.guardBar === false) {
      return {
        ok: false,
        error: { code: 'BARCODE_NOT_FOUND', message: 'No PDF417 barcode was found in the image.' },
        timingsMs: { barcode: barcodeMs, total: barcodeMs },
      }
    }
    return {
      ok: false,
      error: {
        code: read.fail,
        message: 'A PDF417 barcode was found but could not be decoded.',
        ...(module !== undefined && { moduleSizePx: module }),
      },
      timingsMs: { barcode: barcodeMs, total: barcodeMs },
    }
  }
  const result = inspectAamvaText(read.bytes, { asOf: options.asOf })
  const total = round(performance.now() - started)
  const timed = { ...result, timingsMs: { ...result.timingsMs, barcode: barcodeMs, total } }
  // Error correction vouches for what was decoded: a small module is reported, not refused.
  if (timed.ok && timed.aamva && module !== undefined) {
    return { ...timed, aamva: { ...timed.aamva, moduleSizePx: module } }
  }
  return timed
}

/** Decodes image bytes (JPEG, PNG, WebP, BMP, TIFF, PDF) and reads the AAMVA PDF417 in them. */
export async function readAamvaFromBytes(
  bytes: Uint8Array,
  options: AamvaImageOptions & { intake?: IntakeOptions } = {},
): Promise<InspectResult> {
  const started = performance.now()
  const decoded = await decodeDocumentImage(bytes, options.intake)
  const decodeMs = round(performance.now() - started)
  if (!decoded.ok)
    return { ok: false, error: decoded.error, timingsMs: { decode: decodeMs, total: decodeMs } }
  const result = await readAamvaFromImage(decoded.image, options)
  const total = round(performance.now() - started)
  return { ...result, timingsMs: { ...result.timingsMs, decode: decodeMs, total } }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
