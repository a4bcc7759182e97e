// The visual zone's birth date, read only to settle what the MRZ cannot: a two-digit year of
// birth that fits two centuries (a holder born in 1915 or in 2015). The page above the zone is
// sampled upright from the zone's own geometry, PaddleOCR's PP-OCRv4 text detector finds its text
// lines, the recognizer reads them, and a printed date is taken only when its day, month and last
// two digits of the year are the MRZ's own (which check digits protect): all it may add is the
// century, and only one of the two candidates. Anything less certain leaves the century open.
// An ID card prints the date on its front and the MRZ on its back: the front, another image of
// the same verification, is searched whole the same way (birthDateOnPage).

import * as ort from 'onnxruntime-node'
import { components, resize, sampleRect, type GrayImage } from '../image.ts'
import { nativeCall } from '../native.ts'
import { assetPath, recognizeText } from './ppocr.ts'

/** A zone's first line: the centres of its first and last glyphs (source px) and its cell count. */
export interface ZoneLine {
  first: [number, number]
  last: [number, number]
  cells: number
}

/** Pixels per MRZ pitch the page above the zone is sampled at (the visual zone's text ~15 px). */
const PX_PER_PITCH = 16
/** How far above the zone's first line the page is sampled, in MRZ pitches (a TD3 page is ~35). */
const PITCHES_ABOVE = 30
/** DB post-processing of PaddleOCR: pixel threshold, box threshold and unclip ratio. */
const DB_THRESH = 0.3
const DB_BOX_THRESH = 0.6
const DB_UNCLIP = 1.5
/** A digit of the century must be read at least this surely. */
const MIN_DIGIT_P = 0.8
/** At most this many text lines are recognized above a zone… */
const MAX_LINES = 40
/** …and on a page of its own, seen at most this many px on its longer side. */
const MAX_PAGE_LINES = 60
const PAGE_SIDE = 1280
/** Text lines recognized in one batch. */
const BATCH = 8

let detector: Promise<ort.InferenceSession> | null = null

function loadDetector(): Promise<ort.InferenceSession> {
  detector ??= nativeCall(() =>
    ort.InferenceSession.create(assetPath('ch_PP-OCRv4_det_infer.onnx'), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    }),
  )
  return detector
}

/** The page above a zone, upright, PX_PER_PITCH to a pitch; width and height multiples of 32. */
function pageAbove(image: GrayImage, line: ZoneLine): GrayImage {
  const [x0, y0] = line.first
  const [x1, y1] = line.last
  const len = Math.hypot(x1 - x0, y1 - y0)
  const pitch = len / (line.cells - 1)
  const ux = (x1 - x0) / len
  const uy = (y1 - y0) / len
  // Up the page: perpendicular to the line, against the glyphs' downward direction (−uy, ux).
  const upx = uy
  const upy = -ux
  const width = Math.ceil(((line.cells + 2) * PX_PER_PITCH) / 32) * 32
  const height = Math.ceil((PITCHES_ABOVE * PX_PER_PITCH) / 32) * 32
  const step = pitch / PX_PER_PITCH
  // From a pitch and a half left of the first glyph, PITCHES_ABOVE up; down to just above the line.
  const ox = x0 - 1.5 * pitch * ux + (PITCHES_ABOVE + 0.5) * pitch * upx
  const oy = y0 - 1.5 * pitch * uy + (PITCHES_ABOVE + 0.5) * pitch * upy
  return sampleRect(
    image,
    [ox, oy],
    [ux * step, uy * step],
    [-upx * step, -upy * step],
    width,
    height,
  )
}

/** A text line's box along its own direction: centre, unit direction of the text, extents (px). */
interface Box {
  cx: number
  cy: number
  ux: number
  uy: number
  length: number
  thickness: number
}

/**
 * PP-OCRv4 text detection on an image whose sides are multiples of 32: a box per text line,
 * turned with the line (a photo's tilt is the text's), as PaddleOCR's own post-processing does.
 */
async function detectTextLines(page: GrayImage): Promise<Box[]> {
  const session = await loadDetector()
  const { width: w, height: h, gray } = page
  const plane = w * h
  const data = new Float32Array(3 * plane)
  // ImageNet normalisation, as PaddleOCR's detector was trained (grey: every channel alike).
  const mean = [0.485, 0.456, 0.406]
  const std = [0.229, 0.224, 0.225]
  for (let i = 0; i < plane; i++) {
    const v = gray[i]! / 255
    for (let c = 0; c < 3; c++) data[c * plane + i] = (v - mean[c]!) / std[c]!
  }
  const input = new ort.Tensor('float32', data, [1, 3, h, w])
  const out = await nativeCall(() => session.run({ [session.inputNames[0]!]: input }))
  const prob = out[session.outputNames[0]!]!.data as Float32Array
  const mask = new Uint8Array(plane)
  for (let i = 0; i < plane; i++) mask[i] = prob[i]! > DB_THRESH ? 1 : 0
  const { comps, labels } = components(mask, w, h)
  const boxes: Box[] = []
  for (const [k, c] of comps.entries()) {
    if (Math.min(c.x1 - c.x0 + 1, c.y1 - c.y0 + 1) < 3) continue
    const pixels: number[] = []
    for (let y = c.y0; y <= c.y1; y++) {
      for (let x = c.x0; x <= c.x1; x++) if (labels[y * w + x] === k + 1) pixels.push(y * w + x)
    }
    let sum = 0
    let sx = 0
    let sy = 0
    for (const i of pixels) {
      sum += prob[i]!
      sx += i % w
      sy += Math.floor(i / w)
    }
    if (sum / pixels.length < DB_BOX_THRESH) continue
    // The text's direction: the principal axis of the kernel's pixels, pointing right.
    const mx = sx / pixels.length
    const my = sy / pixels.length
    let sxx = 0
    let syy = 0
    let sxy = 0
    for (const i of pixels) {
      const dx = (i % w) - mx
      const dy = Math.floor(i / w) - my
      sxx += dx * dx
      syy += dy * dy
      sxy += dx * dy
    }
    const angle = 0.5 * Math.atan2(2 * sxy, sxx - syy)
    let ux = Math.cos(angle)
    let uy = Math.sin(angle)
    if (ux < 0) [ux, uy] = [-ux, -uy]
    let u0 = Infinity
    let u1 = -Infinity
    let v0 = Infinity
    let v1 = -Infinity
    for (const i of pixels) {
      const dx = (i % w) - mx
      const dy = Math.floor(i / w) - my
      const u = dx * ux + dy * uy
      const v = -dx * uy + dy * ux
      u0 = Math.min(u0, u)
      u1 = Math.max(u1, u)
      v0 = Math.min(v0, v)
      v1 = Math.max(v1, v)
    }
    const length = u1 - u0 + 1
    const thickness = v1 - v0 + 1
    // DB's shrunk text kernel grown back by area × ratio / perimeter.
    const d = (length * thickness * DB_UNCLIP) / (2 * (length + thickness))
    const uc = (u0 + u1) / 2
    const vc = (v0 + v1) / 2
    boxes.push({
      cx: mx + uc * ux - vc * uy,
      cy: my + uc * uy + vc * ux,
      ux,
      uy,
      length: length + 2 * d,
      thickness: thickness + 2 * d,
    })
  }
  return boxes
}

/** A box of the page, upright, scaled to the recognizer's 48-px input height. */
function crop(page: GrayImage, b: Box): GrayImage {
  const step = b.thickness / 48
  const width = Math.max(8, Math.round(b.length / step))
  // Down the text: (−uy, ux), a quarter turn clockwise from its direction in image coordinates.
  const [vx, vy] = [-b.uy, b.ux]
  const origin: [number, number] = [
    b.cx - (b.length / 2) * b.ux - (b.thickness / 2) * vx,
    b.cy - (b.length / 2) * b.uy - (b.thickness / 2) * vy,
  ]
  return sampleRect(page, origin, [b.ux * step, b.uy * step], [vx * step, vy * step], width, 48)
}

// Month names of visual zones (ICAO 9303-3 §4.1.4: the month as three letters of the issuing
// state's language, often followed by the English or French); each token names one month only.
const MONTHS: string[][] = [
  ['JAN', 'JANV', 'ENE', 'GEN', 'JANUARY'],
  ['FEB', 'FEV', 'FEVR', 'FÉV', 'FÉVR', 'FEBRUARY'],
  ['MAR', 'MARS', 'MÄR', 'MRZ', 'MRT', 'MARCH'],
  ['APR', 'AVR', 'ABR', 'APRIL'],
  ['MAY', 'MAI', 'MAG', 'MEI'],
  ['JUN', 'JUIN', 'GIU', 'JUNE'],
  ['JUL', 'JUIL', 'LUG', 'JULY'],
  ['AUG', 'AOU', 'AOUT', 'AOÛT', 'AGO', 'AUGUST'],
  ['SEP', 'SEPT', 'SET', 'SEPTEMBER'],
  ['OCT', 'OKT', 'OTT', 'OUT', 'OCTOBER'],
  ['NOV', 'NOVEMBER'],
  ['DEC', 'DEZ', 'DIC', 'DÉC', 'DECEMBER'],
]

/** Every way a visual zone may print this date with its four-digit year, as regular expressions. */
function datePatterns(iso: string): RegExp[] {
  const [y, m, d] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)]
  const day = `0?${Number(d)}`
  const month = `0?${Number(m)}`
  const sep = '[ ./-]?'
  const names = MONTHS[Number(m) - 1]!.join('|')
  return [
    // 12.08.1974, 12/08/1974, 12 08 1974, 12081974
    new RegExp(`(?<!\\d)${day}${sep}${month}${sep}${y}(?!\\d)`),
    // 1974-08-12, 1974.08.12
    new RegExp(`(?<!\\d)${y}${sep}${month}${sep}${day}(?!\\d)`),
    // 12 AUG/AOÛT 1974, 12AUG1974, 12 AUG 1974
    new RegExp(
      `(?<!\\d)${day} ?[A-ZÀ-Ü /.]{0,6}?(?:${names})(?![A-Z])[A-ZÀ-Ü /.]{0,8}?${y}(?!\\d)`,
    ),
  ]
}

/**
 * Of two candidate birth dates (one century apart), the one a visual zone's text lines print,
 * when exactly one of them is printed; else null.
 */
export function centuryFromText(lines: string[], candidates: [string, string]): string | null {
  const text = lines.map((l) => l.toUpperCase())
  const printed = candidates.filter((c) =>
    datePatterns(c).some((re) => text.some((line) => re.test(line))),
  )
  return printed.length === 1 ? printed[0]! : null
}

/**
 * The birth date the visual zone above a zone prints, if it settles the century between the
 * candidates; null otherwise. The text's century digits must be read surely.
 */
export async function birthDateFromViz(
  image: GrayImage,
  line: ZoneLine,
  candidates: [string, string],
): Promise<string | null> {
  return birthDateInText(pageAbove(image, line), candidates, MAX_LINES)
}

/**
 * The birth date printed anywhere on a page of its own — an ID card's front, whose MRZ is on the
 * back — if it settles the century between the candidates; null otherwise. The page is seen
 * at most PAGE_SIDE px on its longer side, upright, then upside down.
 */
export async function birthDateOnPage(
  image: GrayImage,
  candidates: [string, string],
): Promise<string | null> {
  const scale = Math.min(1, PAGE_SIDE / Math.max(image.width, image.height))
  const to32 = (n: number): number => Math.max(32, Math.round((n * scale) / 32) * 32)
  const page = resize(image, to32(image.width), to32(image.height))
  // A card photographed upside down reads right once turned (a half turn reverses the pixels).
  const turned = (): GrayImage => ({ ...page, gray: page.gray.slice().reverse() })
  return (
    (await birthDateInText(page, candidates, MAX_PAGE_LINES)) ??
    birthDateInText(turned(), candidates, MAX_PAGE_LINES)
  )
}

/** The candidate a page's text lines print (see centuryFromText), every digit read surely. */
async function birthDateInText(
  page: GrayImage,
  candidates: [string, string],
  maxLines: number,
): Promise<string | null> {
  // A date is six to about twenty characters ("8.6.2015", "08 AUG/AOÛT 2015"): a box less than
  // three or more than fourteen times as wide as tall (its box included) holds none.
  const boxes = (await detectTextLines(page))
    .filter((b) => {
      const aspect = b.length / b.thickness
      return aspect >= 3 && aspect <= 14
    })
    .slice(0, maxLines)
  if (boxes.length === 0) return null
  // Crops of similar width in one batch: the recognizer pads a batch to its widest.
  const crops = boxes.map((b) => crop(page, b)).sort((a, b) => a.width - b.width)
  const reads: Awaited<ReturnType<typeof recognizeText>> = []
  for (let i = 0; i < crops.length; i += BATCH) {
    reads.push(...(await recognizeText(crops.slice(i, i + BATCH))))
  }
  // Lines whose every digit was read surely; others could hide a misread century.
  const sure = reads
    .filter((r) => [...r.text].every((c, i) => !/\d/.test(c) || (r.probs[i] ?? 0) >= MIN_DIGIT_P))
    .map((r) => r.text)
  return centuryFromText(sure, candidates)
}
