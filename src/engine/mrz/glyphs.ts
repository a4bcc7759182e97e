// Glyph classification of one rectified MRZ line, its cells found by cells.ts. The MRZ is printed
// in a single font (OCR-B, ISO 1073-2) at a fixed pitch on a 37-character set (ICAO 9303-3 §4.1),
// so each character cell is compared with OCR-B templates rendered from the font itself.

import { ocrbGlyph } from './ocrb.ts'
import sharp from 'sharp'
import { integral, type GrayImage } from '../image.ts'
import { findCells, PITCH_PX, type Band } from './cells.ts'

export const MRZ_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<'

/** Feature grid per character cell. */
const GW = 10
const GH = 18
export const DIM = GW * GH
/** Sub-cell offsets tried when matching, in fractions of the cell (absorbs segmentation jitter). */
const SHIFTS: [number, number][] = [[0, 0]]
for (const dx of [0, -0.08, 0.08, -0.16, 0.16]) {
  for (const dy of [0, -0.04, 0.04]) if (dx !== 0 || dy !== 0) SHIFTS.push([dx, dy])
}
/** Characters whose match is refined over the sub-cell shifts. */
const TOP_K = 6
/**
 * Capital height over pitch: ICAO 9303-3 prints OCR-B size 1, about 2.3 mm tall on a 2.54 mm
 * pitch. Cells are scaled by the pitch and anchored on the baseline, because OCR-B digits stand
 * about 8 % taller than its capitals — that height is what tells 0 from O.
 */
const CAP_PER_PITCH = 0.9

export interface CellRead {
  /** Best character and its score (normalised correlation, 1 = identical). */
  ch: string
  score: number
  /** Score of every character of MRZ_CHARSET, same order. */
  scores: Float32Array
  /**
   * The cell's own feature vectors (unit norm) at each of SHIFTS, the unshifted first, to compare
   * cells of one zone with each other. Empty when only a sample of cells was matched.
   */
  features: Float32Array[]
}

export interface LineRead {
  cells: CellRead[]
  /** Height of each cell's ink above the baseline, in pitches (OCR-B digits ≈ 0.98, capitals ≈ 0.9). */
  heights: number[]
  /** Where the cells were found, in rectified-line pixels, for debugging. */
  centers: number[]
  top: number
  bottom: number
}

interface LineSums {
  width: number
  height: number
  sums: Float64Array | Uint32Array
}

const lineSums = (line: GrayImage): LineSums => ({
  width: line.width,
  height: line.height,
  sums: integral(line),
})

/**
 * Area-averaged darkness over a cell box anchored on the baseline, GW×GH, zero mean and unit norm.
 * The box reaches 1.26 capitals above the baseline: clear of a digit's top (1.085 capitals) even
 * when the line's scale is searched down to 0.92.
 */
function cellFeature(
  line: LineSums,
  cx: number,
  baseline: number,
  pitch: number,
  dx: number,
  dy: number,
  vScale = 1,
): Float32Array {
  const capH = CAP_PER_PITCH * pitch * vScale
  const y0 = baseline + 1 - 1.26 * capH + dy * capH
  const y1 = baseline + 1 + 0.06 * capH + dy * capH
  const x0 = cx - 0.5 * pitch + dx * pitch
  const x1 = cx + 0.5 * pitch + dx * pitch
  const sx = (x1 - x0) / GW
  const sy = (y1 - y0) / GH
  const { width: w, height: h, sums } = line
  const W = w + 1
  // The integral of a pixel-constant image is bilinear between pixel corners, so interpolating
  // the table gives exact box sums at any position (pixel centres sit at integer coordinates).
  const corner = new Float64Array((GW + 1) * (GH + 1))
  for (let gy = 0; gy <= GH; gy++) {
    const Y = Math.min(h, Math.max(0, y0 + gy * sy + 0.5))
    const yi = Math.min(h - 1, Math.floor(Y))
    const fy = Y - yi
    for (let gx = 0; gx <= GW; gx++) {
      const X = Math.min(w, Math.max(0, x0 + gx * sx + 0.5))
      const xi = Math.min(w - 1, Math.floor(X))
      const fx = X - xi
      const a = sums[yi * W + xi]!
      const b = sums[yi * W + xi + 1]!
      const c = sums[(yi + 1) * W + xi]!
      const d = sums[(yi + 1) * W + xi + 1]!
      corner[gy * (GW + 1) + gx] = a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy
    }
  }
  // Darkness is minus the grey sum; the constant offset goes with the mean.
  const f = new Float32Array(DIM)
  let mean = 0
  for (let gy = 0; gy < GH; gy++) {
    for (let gx = 0; gx < GW; gx++) {
      const k = gy * (GW + 1) + gx
      const v = corner[k]! + corner[k + GW + 2]! - corner[k + 1]! - corner[k + GW + 1]!
      f[gy * GW + gx] = -v
      mean -= v
    }
  }
  mean /= DIM
  let norm = 0
  for (let i = 0; i < DIM; i++) {
    f[i]! -= mean
    norm += f[i]! * f[i]!
  }
  norm = Math.sqrt(norm) || 1
  for (let i = 0; i < DIM; i++) f[i]! /= norm
  return f
}

export interface Templates {
  /** Unit feature vectors, DIM each: `variants` per character of MRZ_CHARSET, in that order. */
  matrix: Float32Array
  variants: number
  /** Median measured height of the capitals of the crisp template line, in pitches. */
  capitalHeight: number
}

/**
 * Vertical scales a line is read at, the one whose cells match best overall kept. Perspective,
 * blur and the binarisation that placed the baseline all leave the glyphs a few per cent taller
 * or shorter than the pitch says; one scale per line measures that without letting each cell
 * pick its own (which would let a short letter pass for a tall digit).
 */
const LINE_SCALES = [0.92, 0.96, 1, 1.04, 1.08]
/** Every how many cells the scales are compared on. */
const SCALE_SAMPLE = 3
/** A cell whose best unshifted match leads the next by this much is not refined over shifts. */
const CLEAR_LEAD = 0.2

/** Pitch at cell i: half the distance between its neighbours, or to its one neighbour at an end. */
function localPitch(centers: number[], i: number): number {
  const prev = centers[i - 1]
  const next = centers[i + 1]
  if (prev !== undefined && next !== undefined) return (next - prev) / 2
  if (next !== undefined) return next - centers[i]!
  if (prev !== undefined) return centers[i]! - prev
  return PITCH_PX
}

/** Classify every cell of a rectified line against the templates, at the best of LINE_SCALES around `vScale`. */
export function readCells(line: GrayImage, band: Band, templates: Templates, vScale = 1): LineRead {
  const sums = lineSums(line)
  let scale = vScale
  let bestTotal = -Infinity
  for (const s of LINE_SCALES) {
    const total = matchCells(sums, band, templates, vScale * s, SCALE_SAMPLE).reduce(
      (t, c) => t + c.score,
      0,
    )
    if (total > bestTotal) {
      bestTotal = total
      scale = vScale * s
    }
  }
  const cells = matchCells(sums, band, templates, scale, 1)
  const { centers, top, bottom } = band
  return { cells, heights: cellHeights(line, band), centers, top, bottom }
}

/** Height of the ink above the baseline in each cell, in pitches. */
function cellHeights(line: GrayImage, band: Band): number[] {
  const { centers, baseline } = band
  const bg = percentile(line.gray, 0.9)
  return centers.map((cx, i) => {
    const pitch = localPitch(centers, i)
    return glyphHeight(line, cx, baseline[0] + baseline[1] * cx, pitch, bg) / pitch
  })
}

/** Match every `every`-th cell: unshifted against every template, then over SHIFTS for the best few. */
function matchCells(
  line: LineSums,
  band: Band,
  templates: Templates,
  vScale: number,
  every: number,
): CellRead[] {
  const { matrix, variants } = templates
  const cells: CellRead[] = []
  const { centers, baseline } = band
  for (let i = 0; i < centers.length; i += every) {
    const pitch = localPitch(centers, i)
    const base = baseline[0] + baseline[1] * centers[i]!
    const scores = new Float32Array(MRZ_CHARSET.length).fill(-1)
    const match = (c: number, f: Float32Array): void => {
      for (let v = 0; v < variants; v++) {
        // Four running sums: several times faster than one in V8. DIM is a multiple of 4.
        const off = (c * variants + v) * DIM
        let d0 = 0
        let d1 = 0
        let d2 = 0
        let d3 = 0
        for (let k = 0; k < DIM; k += 4) {
          d0 += f[k]! * matrix[off + k]!
          d1 += f[k + 1]! * matrix[off + k + 1]!
          d2 += f[k + 2]! * matrix[off + k + 2]!
          d3 += f[k + 3]! * matrix[off + k + 3]!
        }
        const dot = d0 + d1 + d2 + d3
        if (dot > scores[c]!) scores[c] = dot
      }
    }
    // Every shift's features of a cell kept (a zone's cells are compared with each other later),
    // computed once whether or not the match is refined over them.
    const at = ([dx, dy]: [number, number]): Float32Array =>
      cellFeature(line, centers[i]!, base, pitch, dx, dy, vScale)
    const features = every === 1 ? SHIFTS.map(at) : [at(SHIFTS[0]!)]
    for (let c = 0; c < MRZ_CHARSET.length; c++) match(c, features[0]!)
    const top = [...scores.keys()].sort((a, b) => scores[b]! - scores[a]!).slice(0, TOP_K)
    if (scores[top[0]!]! - scores[top[1]!]! < CLEAR_LEAD) {
      for (const [k, shift] of SHIFTS.entries()) {
        if (k === 0) continue
        const f = features[k] ?? at(shift)
        for (const c of top) match(c, f)
      }
    }
    let best = 0
    for (let c = 1; c < scores.length; c++) if (scores[c]! > scores[best]!) best = c
    cells.push({
      ch: MRZ_CHARSET[best]!,
      score: scores[best]!,
      scores,
      features: every === 1 ? features : [],
    })
  }
  return cells
}

function percentile(values: Uint8Array, q: number): number {
  const hist = new Uint32Array(256)
  for (const v of values) hist[v]!++
  let acc = 0
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!
    if (acc >= q * values.length) return v
  }
  return 255
}

/**
 * Sub-pixel height of the ink in a cell above the baseline: the first row from the top whose
 * darkness reaches 30 % of the cell's darkest row, interpolated between rows.
 */
function glyphHeight(
  line: GrayImage,
  cx: number,
  baseline: number,
  pitch: number,
  bg: number,
): number {
  const { width: w, height: h, gray } = line
  const x0 = Math.max(0, Math.round(cx - 0.35 * pitch))
  const x1 = Math.min(w - 1, Math.round(cx + 0.35 * pitch))
  const yTop = Math.max(0, Math.floor(baseline - 1.5 * CAP_PER_PITCH * pitch))
  const yBot = Math.min(h - 1, Math.round(baseline))
  const profile: number[] = []
  let max = 0
  for (let y = yTop; y <= yBot; y++) {
    let sum = 0
    for (let x = x0; x <= x1; x++) sum += Math.max(0, bg - gray[y * w + x]!)
    profile.push(sum)
    if (sum > max) max = sum
  }
  if (max <= 0) return 0
  const thr = 0.3 * max
  for (let k = 0; k < profile.length; k++) {
    if (profile[k]! >= thr) {
      const before = k > 0 ? profile[k - 1]! : 0
      const frac = (thr - before) / Math.max(1e-9, profile[k]! - before)
      return baseline + 0.5 - (yTop + k - 1 + frac)
    }
  }
  return 0
}

let templatesPromise: Promise<Templates> | null = null

/** OCR-B templates, rendered once from the shipped outlines (ocrb-glyphs.ts) on first use. */
export function loadTemplates(): Promise<Templates> {
  return (templatesPromise ??= buildTemplates())
}

/** Render a line of text in OCR-B at PITCH_PX per character, one glyph per cell, as the reader sees it. */
export async function renderOcrbLine(text: string, blurSigma = 0): Promise<GrayImage> {
  const pad = PITCH_PX
  const width = text.length * PITCH_PX + 2 * pad
  const height = Math.round(PITCH_PX * 2.2)
  // OCR-B capitals are 0.71 em; MRZ capitals are about 0.9 of the pitch (2.3 mm on 2.54 mm).
  const fontSize = (0.9 * PITCH_PX) / 0.71
  const baseline = height / 2 + 0.45 * PITCH_PX
  const glyphs = [...text]
    .map((ch, i) => ocrbGlyph(ch, pad + (i + 0.5) * PITCH_PX, baseline, fontSize))
    .join('')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${glyphs}</svg>`
  let s = sharp(Buffer.from(svg)).grayscale()
  if (blurSigma >= 0.3) s = s.blur(blurSigma)
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, gray: new Uint8Array(data) }
}

async function buildTemplates(): Promise<Templates> {
  const blurs = [0, 1.2, 2]
  const matrix = new Float32Array(MRZ_CHARSET.length * blurs.length * DIM)
  let capitalHeight = CAP_PER_PITCH
  for (const [v, blurSigma] of blurs.entries()) {
    const line = await renderOcrbLine(MRZ_CHARSET, blurSigma)
    const band = findCells(line, MRZ_CHARSET.length)
    if (!band) throw new Error('OCR-B templates could not be segmented from the shipped outlines')
    const sums = lineSums(line)
    for (let c = 0; c < MRZ_CHARSET.length; c++) {
      const x = band.centers[c]!
      const base = band.baseline[0] + band.baseline[1] * x
      matrix.set(cellFeature(sums, x, base, PITCH_PX, 0, 0), (c * blurs.length + v) * DIM)
    }
    if (blurSigma === 0) {
      const heights = cellHeights(line, band).slice(0, 26)
      capitalHeight = heights.sort((a, b) => a - b)[13]!
    }
  }
  return { matrix, variants: blurs.length, capitalHeight }
}
