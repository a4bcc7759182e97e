// The MRZ reader: find the machine readable zone anywhere in a photo (rotated, upside down,
// under perspective, on a background), rectify each line, classify its glyphs against OCR-B
// templates, and accept a reading only when the ICAO check digits hold.

import { shrink, type GrayImage } from '../image.ts'
import { loadTemplates, type LineRead } from './glyphs.ts'
import type { ParsedMrz } from './parse.ts'
import { lineCountsFor, locate, LOCATE_INK, type MrzDebug } from './locate.ts'
import { capitalHeightPx, readGroup, stack } from './rectify.ts'
import { interpret } from './interpret.ts'
import { readAtCells, recognize, toRecognizerCrop, type PpChar } from './ppocr.ts'
import { PITCH_PX } from './cells.ts'
import { readPpAlone, vote, type MrzReaderMode, type VoteResult } from './vote.ts'
import { birthDateFromViz } from './viz.ts'

export interface MrzReadOptions {
  /** Day the dates are resolved against (YYYY-MM-DD). */
  asOf: string
  /** Receives intermediate images (working image, ink mask, rectified lines). */
  debug?: MrzDebug
  /** Which reader decides (default: both, by vote through the check digits). */
  reader?: MrzReaderMode
  /**
   * Also look for a zone turned a quarter either way when none is found upright or upside down
   * (default true). A caller that knows the document's way up (e.g. from an upright face beside
   * it) saves two thirds of a fruitless search.
   */
  sideways?: boolean
}

export type MrzRead =
  | {
      ok: true
      mrz: ParsedMrz
      /** Template match of the weakest cell and the mean over cells (1 = identical to OCR-B). */
      confidence: { min: number; mean: number }
      /** Height of the zone's capital letters in the image read (px). */
      glyphHeightPx: number
      timingsMs: Record<string, number>
    }
  | {
      ok: false
      code: 'MRZ_NOT_FOUND' | 'MRZ_UNREADABLE'
      message: string
      /** Capital height (px) of the best-matching zone located but not read. */
      glyphHeightPx?: number
    }

/**
 * Capital height (px of the image read) from which the zone's letters are read surely. Below
 * it, a reading is only accepted if the second reader forms no other that satisfies the check
 * digits, and inspect puts a zone located but not read down to its size.
 */
export const SURE_GLYPH_PX = 12
/** Longer side of the image the MRZ is searched in. */
const WORK_SIDE = 1000
/** At most this many candidate zones are read before giving up. */
const MAX_CANDIDATES = 6
/**
 * A zone whose cells match OCR-B this poorly on average is not read at all: check digits alone
 * (with corrections) would pass some garbage by chance.
 */
const MIN_MEAN_SCORE = 0.8
/**
 * The recognizer reads at most this many candidate zones of one image (about 0.2–0.4 s each on
 * one core), to keep a read within the engine's time budget; past that the template reader's
 * own verdict stands, as it did before there was a second reader.
 */
const MAX_RECOGNITIONS = 3

/**
 * Read the MRZ of a grayscale image of one document side. A zone the locator does not find is
 * looked for again with the image turned a quarter either way (a document photographed on its
 * side; right way up and upside down are the locator's own), and in a large image once more
 * with the frame seen twice as large (a document small in a photo of many pixels).
 */
export async function readMrz(image: GrayImage, opts: MrzReadOptions): Promise<MrzRead> {
  const first = await readUpright(image, opts)
  if (first.ok || first.code !== 'MRZ_NOT_FOUND') return first
  if (opts.sideways !== false) {
    for (const clockwise of [true, false]) {
      const turned = await readUpright(quarterTurn(image, clockwise), opts)
      if (turned.ok || turned.code !== 'MRZ_NOT_FOUND') return turned
    }
  }
  // A document small in a large frame: its lines are too fine for the locator at WORK_SIDE.
  // Look again with the frame seen twice as large (upright and upside down only).
  if (Math.max(image.width, image.height) >= 1.6 * WORK_SIDE) {
    const closer = await readUpright(image, opts, 2 * WORK_SIDE)
    if (closer.ok || closer.code !== 'MRZ_NOT_FOUND') return closer
  }
  return first
}

/**
 * Whether either reader reads the zone's first glyph as P, a passport's document code (ICAO
 * 9303-4 §4.2.2): the template reader by its best match over every character, the recognizer
 * when it holds most of the probability there.
 */
function readsPassportCode(reads: LineRead[], pp: PpChar[][] | undefined): boolean {
  const first = pp?.[0]?.[0]
  return reads[0]?.cells[0]?.ch === 'P' || (first?.ch === 'P' && first.p >= 0.5)
}

/** The image turned 90° clockwise or counter-clockwise. */
export function quarterTurn(image: GrayImage, clockwise: boolean): GrayImage {
  const { width: w, height: h, gray } = image
  const out = new Uint8Array(w * h)
  // Output is h wide and w tall; output (x, y) comes from source (y, h−1−x) clockwise, and from
  // (w−1−y, x) counter-clockwise.
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < h; x++) {
      out[y * h + x] = clockwise ? gray[(h - 1 - x) * w + y]! : gray[x * w + (w - 1 - y)]!
    }
  }
  return { width: h, height: w, gray: out }
}

async function readUpright(
  image: GrayImage,
  opts: MrzReadOptions,
  workSide = WORK_SIDE,
): Promise<MrzRead> {
  const t0 = performance.now()
  const templates = await loadTemplates()
  const scale = workSide / Math.max(image.width, image.height)
  const work = await shrink(
    image,
    Math.round(image.width * scale),
    Math.round(image.height * scale),
  )
  opts.debug?.('work', work)

  const pyramid = new Map<number, GrayImage>([[1, image]])
  let sawZone = false
  // Report why the best-matching zone failed, not whichever was tried last.
  let lastMessage = 'The machine readable zone could not be read reliably.'
  let lastMean = -1
  let lastGlyphPx = 0
  let locateMs = 0
  let recognizeMs = 0
  let recognitions = 0
  const mode = opts.reader ?? 'vote'
  for (const [pass, ink] of LOCATE_INK.entries()) {
    const tLocate = performance.now()
    const { groups, theta } = locate(work, ink, pass, opts.debug)
    locateMs += performance.now() - tLocate
    for (const group of groups.slice(0, MAX_CANDIDATES)) {
      const counts = group.length === 3 ? [30] : lineCountsFor(group)
      for (const n of counts) {
        // Right way up first; the 180° reading only when that fails (an upside-down photo).
        for (const flipped of [false, true]) {
          const reads = await readGroup(
            image,
            pyramid,
            group,
            n,
            flipped,
            theta,
            scale,
            templates,
            opts.debug,
            MIN_MEAN_SCORE,
          )
          if (!reads) continue
          const all = reads.flatMap((r) => r.cells)
          const mean = all.reduce((sum, c) => sum + c.score, 0) / all.length
          if (mean < MIN_MEAN_SCORE) continue
          sawZone = true
          let parsed: VoteResult = interpret(reads, opts.asOf)
          let pp: PpChar[][] | undefined
          if (mode !== 'templates' && recognitions < MAX_RECOGNITIONS) {
            recognitions++
            const tPp = performance.now()
            const recs = await recognize(reads.map((r) => toRecognizerCrop(r.image, PITCH_PX)))
            pp = recs.map((rec, i) => readAtCells(rec, reads[i]!.centers, PITCH_PX))
            recognizeMs += performance.now() - tPp
            parsed =
              mode === 'ppocr'
                ? readPpAlone(pp, n, opts.asOf)
                : vote(reads, pp, parsed, opts.asOf, {
                    unsure: capitalHeightPx(reads) < SURE_GLYPH_PX,
                  })
          } else if (mode === 'ppocr') {
            parsed = { ok: false, message: 'The recognizer read its most zones for one image.' }
          }
          if (parsed.ok && n === 36 && readsPassportCode(reads, pp)) {
            // Its fillers lost, a passport zone read at 36 cells can satisfy every TD2 check
            // digit with its P taken for the nearest card letter: read it at 44 instead.
            parsed = {
              ok: false,
              message: "The zone starts with a passport's P but was read as a card's.",
            }
          }
          if (parsed.ok) {
            if (opts.debug) opts.debug('mrz-crop', stack(reads.map((r) => r.image)))
            let mrz = parsed.mrz
            let vizMs = 0
            const candidates = mrz.dateOfBirthCandidates
            if (candidates && mode !== 'templates') {
              // The two-digit year fits two centuries: the visual zone may print the year whole.
              const tViz = performance.now()
              const top = reads[0]!
              const date = await birthDateFromViz(
                image,
                { first: top.first, last: top.last, cells: n },
                candidates,
              )
              vizMs = performance.now() - tViz
              if (date) {
                mrz = {
                  ...mrz,
                  dateOfBirth: date,
                  dateOfBirthCandidates: null,
                  birthCenturyFromViz: true,
                }
              }
            }
            return {
              ok: true,
              mrz,
              confidence: { min: Math.min(...all.map((c) => c.score)), mean },
              glyphHeightPx: capitalHeightPx(reads),
              timingsMs: {
                locate: Math.round(locateMs),
                read: Math.round(performance.now() - t0 - locateMs - recognizeMs - vizMs),
                ...(mode !== 'templates' && { recognize: Math.round(recognizeMs) }),
                ...(vizMs > 0 && { visualZone: Math.round(vizMs) }),
              },
            }
          }
          if (mean > lastMean) {
            lastMessage = parsed.message
            lastMean = mean
            lastGlyphPx = capitalHeightPx(reads)
          }
        }
      }
    }
    // A fainter threshold only helps where the first found no zone: no lines at MRZ spacing, or
    // only lines that are no OCR-B (a page's print, while the zone's thin strokes on a tinted
    // band broke up under the first threshold).
    if (sawZone) break
  }
  return sawZone
    ? { ok: false, code: 'MRZ_UNREADABLE', message: lastMessage, glyphHeightPx: lastGlyphPx }
    : { ok: false, code: 'MRZ_NOT_FOUND', message: 'No machine readable zone found in the image.' }
}
