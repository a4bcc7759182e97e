// Reading one located zone: each line resampled upright at the templates' pitch (perspective and
// slant undone), its cells found, and every cell scored against the OCR-B glyphs.

import { adaptiveInk, bilinear, components, sampleRect, shrink, type GrayImage } from '../image.ts'
import { findCells, fitPoly, PITCH_PX, type Band } from './cells.ts'
import { readCells, type LineRead, type Templates } from './glyphs.ts'
import type { MrzDebug, TextLine } from './locate.ts'

/**
 * A line read, its rectified image, its character pitch in the image it was read from (px), and
 * the centres of its first and last glyphs there (in reading order).
 */
export type RectifiedLine = LineRead & {
  image: GrayImage
  pitchPx: number
  first: [number, number]
  last: [number, number]
}

/** A line sampled upright, and where each of its pixels lies in the source image. */
type Sampled = { img: GrayImage; toSrc: (x: number, y: number) => [number, number] }

/**
 * Rectify and classify each line of a zone; lines in reading order. One line that does not
 * segment is read at the cells its neighbours give it; null when more do, and as soon as the
 * lines read cannot bring the zone's mean cell score to `minMean` however well the rest match.
 */
export async function readGroup(
  image: GrayImage,
  pyramid: Map<number, GrayImage>,
  group: TextLine[],
  n: number,
  flipped: boolean,
  theta: number,
  scale: number,
  templates: Templates,
  debug: MrzDebug | undefined,
  minMean = -Infinity,
): Promise<RectifiedLine[] | null> {
  const cos = Math.cos(theta)
  const sin = Math.sin(theta)
  const toSrc = (u: number, v: number): [number, number] => [
    (u * cos - v * sin) / scale,
    (u * sin + v * cos) / scale,
  ]
  const U0 = Math.min(...group.map((l) => l.umin))
  const U1 = Math.max(...group.map((l) => l.umax))
  const ordered = flipped ? [...group].reverse() : group
  const reads: (RectifiedLine | null)[] = []
  /** Per line segmented: the sampled level and the band its cells were found in. */
  const found: ({ src: GrayImage; level: number; band: Band } | null)[] = []
  let k = 0
  /** Template reading of a rectified line, at the glyphs' own height when that is off. */
  const readLine = (img: GrayImage, band: Band): LineRead => {
    const read = readCells(img, band, templates)
    // Perspective can stretch glyphs across the line more than along it: measure the capitals
    // against the templates' and read again around the glyphs' own height when it lies beyond
    // the scales readCells searched.
    const vScale = capitalScale(read, templates)
    return Math.abs(vScale - 1) > 0.08 ? readCells(img, band, templates, vScale) : read
  }
  const longest = Math.max(...group.map((l) => l.umax - l.umin))
  const zonePitch = Math.max(...group.map((l) => l.pitch))
  for (const line of ordered) {
    // Under perspective the lines do not share one extent; a line whose chain broke off early
    // borrows the zone's extent instead.
    const own = line.umax - line.umin >= 0.9 * longest
    const u0 = own ? line.umin : U0
    const u1 = own ? line.umax : U1
    let p0 = toSrc(u0, line.a + line.b * u0)
    let p1 = toSrc(u1, line.a + line.b * u1)
    if (flipped) [p0, p1] = [p1, p0]
    // First pass: the chain's extent, from the first glyph's left edge to the last glyph's right
    // edge, is about (n − 0.42) pitches. Second pass: resample from the cell centres found.
    const len = Math.hypot(p1[0] - p0[0], p1[1] - p0[1])
    // A glare patch can hide the end of every line: when the chain at its own glyph pitch spans
    // clearly fewer than n cells, look as far on either side as the missing cells could reach.
    const chainPitch = (own ? line.pitch : zonePitch) / scale
    const spanned = len / chainPitch + 0.42
    const cells = spanned < n - 1.5 ? Math.max(2, Math.round(spanned)) : n
    const pitch0 = len / (cells - 0.42)
    const pad = 1.5 + n - cells
    const ux = (p1[0] - p0[0]) / len
    const uy = (p1[1] - p0[1]) / len
    const c0: [number, number] = [p0[0] + 0.29 * pitch0 * ux, p0[1] + 0.29 * pitch0 * uy]
    const c1: [number, number] = [p1[0] - 0.29 * pitch0 * ux, p1[1] - 0.29 * pitch0 * uy]
    // Sample from a box-filtered level when shrinking a lot, to avoid aliasing.
    const level = Math.max(1, Math.floor(pitch0 / PITCH_PX / 1.5))
    let src = pyramid.get(level)
    if (!src) {
      src = await shrink(image, Math.round(image.width / level), Math.round(image.height / level))
      pyramid.set(level, src)
    }
    let rect = rectify(src, level, c0, c1, cells, 0, pad)
    let band = findCells(rect.img, n)
    if (band) {
      // Glyph middles sit half a capital above the baseline.
      const b0 = band
      const mid = (x: number): number => b0.baseline[0] + b0.baseline[1] * x - 0.45 * PITCH_PX
      const xa = band.centers[0]!
      const xb = band.centers[n - 1]!
      const a = rect.toSrc(xa, mid(xa))
      const b = rect.toSrc(xb, mid(xb))
      rect = rectify(src, level, a, b, n)
      band = findCells(rect.img, n)
      if (band) {
        // Perspective also slants the glyphs; sample along their slanted verticals when it does.
        const shear = estimateShear(rect.img, band)
        if (Math.abs(shear) >= 0.05) {
          const sheared = rectify(src, level, a, b, n, shear)
          const band2 = findCells(sheared.img, n)
          if (band2) {
            rect = sheared
            band = band2
          }
        }
        // A page that bends (the pages of an open passport curve towards the spine) bows its
        // lines and, seen at a slant, makes one end's glyphs taller than the other's, which a
        // straight line of cells does not follow. A line whose glyphs match OCR-B poorly and that
        // bows or grows along it is sampled again along its glyphs' middles, at their own height
        // (and slant), and that reading is kept when its glyphs match better.
        let read = readLine(rect.img, band)
        if (meanScore(read) < WEAK_LINE) {
          const bent = bendOf(rect.img)
          const straight = bent && unbendAndShear(rect, bent, n)
          if (straight) {
            const read2 = readLine(straight.img, straight.band)
            if (meanScore(read2) > meanScore(read)) {
              rect = straight
              band = straight.band
              read = read2
            }
          }
        }
        reads.push(finish(rect, band, a, b, `${k++}`, read))
        found.push({ src, level, band })
        if (outOfReach(reads, ordered.length, minMean)) return null
        continue
      }
    }
    debug?.(`mrz-line-${k++}${flipped ? '-flipped' : ''}-n${n}-unsegmented`, rect.img)
    reads.push(null)
    found.push(null)
  }
  // A line that did not segment — a stamp, a signature or an overprint's outline crossing its
  // glyphs joins them to the clutter — lies where its neighbours say: every line of a zone starts
  // at the same place, with the same pitch, one line spacing apart (ICAO 9303-3 §4.2). One such
  // line per zone is read at the cells its neighbours give it; the check digits judge the rest.
  const missing = reads.flatMap((r, i) => (r === null ? [i] : []))
  if (missing.length === 0) return reads as RectifiedLine[]
  const have = reads.flatMap((r, i) => (r === null ? [] : [i]))
  if (missing.length > 1 || have.length === 0) return null
  const f = missing[0]!
  const j = have.reduce((best, i) => (Math.abs(i - f) < Math.abs(best - f) ? i : best))
  const near = reads[j]!
  let step: [number, number]
  if (have.length >= 2) {
    const [i0, i1] = [have[0]!, have.at(-1)!]
    const r0 = reads[i0]!
    const r1 = reads[i1]!
    step = [
      (r1.first[0] - r0.first[0] + r1.last[0] - r0.last[0]) / (2 * (i1 - i0)),
      (r1.first[1] - r0.first[1] + r1.last[1] - r0.last[1]) / (2 * (i1 - i0)),
    ]
  } else {
    // Two lines: the spacing the locator measured between their glyph centres.
    const u = (U0 + U1) / 2
    const at = (l: TextLine): [number, number] => toSrc(u, l.a + l.b * u)
    const [pf, pj] = [at(ordered[f]!), at(ordered[j]!)]
    step = [(pf[0] - pj[0]) / (f - j), (pf[1] - pj[1]) / (f - j)]
  }
  const a: [number, number] = [near.first[0] + (f - j) * step[0], near.first[1] + (f - j) * step[1]]
  const b: [number, number] = [near.last[0] + (f - j) * step[0], near.last[1] + (f - j) * step[1]]
  const { src, level, band: nearBand } = found[j]!
  const rect = rectify(src, level, a, b, n)
  // A bowed line may segment once it is sampled along its glyphs' middles (see above).
  const bent = bendOf(rect.img)
  const straight = bent && unbendAndShear(rect, bent, n)
  if (straight) {
    reads[f] = finish(straight, straight.band, a, b, `${f}-borrowed-unbent`)
    return reads as RectifiedLine[]
  }
  // The neighbour's band, level (its line is straight in its own rectified image too), with the
  // cells where rectify put them: 1.5 pitches in, one pitch apart.
  const band: Band = {
    top: nearBand.top,
    bottom: nearBand.bottom,
    baseline: [nearBand.baseline[0] + nearBand.baseline[1] * (rect.img.width / 2), 0],
    centers: Array.from({ length: n }, (_, i) => (1.5 + i) * PITCH_PX),
  }
  reads[f] = finish(rect, band, a, b, `${f}-borrowed`)
  return reads as RectifiedLine[]

  function finish(
    rect: Sampled,
    band: Band,
    a: [number, number],
    b: [number, number],
    label: string,
    done?: LineRead,
  ): RectifiedLine {
    debug?.(`mrz-line-${label}${flipped ? '-flipped' : ''}-n${n}`, rect.img)
    const read = done ?? readLine(rect.img, band)
    return {
      ...read,
      image: rect.img,
      pitchPx: Math.hypot(b[0] - a[0], b[1] - a[1]) / (n - 1),
      first: a,
      last: b,
    }
  }
}

/**
 * Slant of the glyphs in a rectified line (x shift per pixel up from the baseline): the shear
 * that makes the column profile of the ink sharpest, as upright strokes line up.
 */
function estimateShear(line: GrayImage, band: Band): number {
  const { width: w, height: h, gray } = line
  const base = band.baseline[0] + band.baseline[1] * (w / 2)
  const y0 = Math.max(0, Math.round(base - 0.9 * PITCH_PX))
  const y1 = Math.min(h - 1, Math.round(base))
  let best = 0
  let bestScore = -1
  const profile = new Float64Array(w)
  for (let k = -0.35; k <= 0.351; k += 0.05) {
    profile.fill(0)
    for (let y = y0; y <= y1; y++) {
      const dx = k * (base - y)
      for (let x = 0; x < w; x++) {
        const xs = Math.round(x - dx)
        if (xs >= 0 && xs < w) profile[x]! += 255 - gray[y * w + xs]!
      }
    }
    let score = 0
    for (let x = 1; x < w; x++) score += (profile[x]! - profile[x - 1]!) ** 2
    if (score > bestScore) {
      bestScore = score
      best = k
    }
  }
  return Math.round(best * 100) / 100
}

/**
 * Whether a zone of `lines` lines, of which `reads` are read (null: not yet, or not segmented),
 * can no longer reach a mean cell score of `minMean`: a cell scores at most 1 (unit feature
 * vectors), every line has the zone's cell count, so the best still possible is every line not
 * read scoring 1.
 */
function outOfReach(reads: (LineRead | null)[], lines: number, minMean: number): boolean {
  const done = reads.filter((r): r is LineRead => r !== null)
  const best = done.reduce((sum, r) => sum + meanScore(r), 0) + (lines - done.length)
  return best < minMean * lines - 1e-6
}

/** A line whose cells match OCR-B this poorly on average is looked at for a bend. */
const WEAK_LINE = 0.85

const meanScore = (read: LineRead): number =>
  read.cells.reduce((sum, c) => sum + c.score, 0) / read.cells.length

/** Measured capital height of a line over the templates' (1 when too few capitals were read surely). */
function capitalScale(read: LineRead, templates: Templates): number {
  const heights = read.cells
    .map((c, i) => ({ c, h: read.heights[i]! }))
    .filter(({ c }) => c.ch >= 'A' && c.ch <= 'Z' && c.ch !== 'I' && c.score >= 0.7)
    .map(({ h }) => h)
    .sort((a, b) => a - b)
  if (heights.length < 4) return 1
  const scale = heights[Math.floor(heights.length / 2)]! / templates.capitalHeight
  return Math.min(1.3, Math.max(0.77, scale))
}

/**
 * Height of the zone's capital letters in the image they were read from (px): the median over
 * the surely read capitals of every line of their measured height, in pitches, times the line's
 * pitch; a line with too few of them counts at OCR-B's 0.9 pitch.
 */
export function capitalHeightPx(reads: RectifiedLine[]): number {
  const heights: number[] = []
  for (const r of reads) {
    const caps = r.cells
      .map((c, i) => ({ c, h: r.heights[i]! }))
      .filter(({ c }) => c.ch >= 'A' && c.ch <= 'Z' && c.ch !== 'I' && c.score >= 0.7)
      .map(({ h }) => h * r.pitchPx)
    if (caps.length >= 4) heights.push(...caps)
    else heights.push(0.9 * r.pitchPx)
  }
  heights.sort((a, b) => a - b)
  return heights[Math.floor(heights.length / 2)] ?? 0
}

/** Images one above the other (the located zone, rectified, for debugging). */
export function stack(images: GrayImage[]): GrayImage {
  const width = Math.max(...images.map((i) => i.width))
  const height = images.reduce((h, i) => h + i.height, 0)
  const gray = new Uint8Array(width * height).fill(255)
  let y0 = 0
  for (const img of images) {
    for (let y = 0; y < img.height; y++) {
      gray.set(img.gray.subarray(y * img.width, (y + 1) * img.width), (y0 + y) * width)
    }
    y0 += img.height
  }
  return { width, height, gray }
}

/**
 * Sample a line so that the centres of its first and last cells (source coordinates) land
 * `pad` pitches from the left edge and n − 1 pitches apart, vertically centred.
 */
function rectify(
  src: GrayImage,
  level: number,
  c0: [number, number],
  c1: [number, number],
  n: number,
  shear = 0,
  pad = 1.5,
): Sampled {
  const len = Math.hypot(c1[0] - c0[0], c1[1] - c0[1])
  const pitchSrc = len / (n - 1)
  const ux = (c1[0] - c0[0]) / len
  const uy = (c1[1] - c0[1]) / len
  // Down the glyphs: perpendicular to the line, leaning by `shear` along it.
  const vx = -uy + shear * ux
  const vy = ux + shear * uy
  const srcPerPx = pitchSrc / PITCH_PX
  const width = Math.round((n - 1 + 2 * pad) * PITCH_PX)
  const height = Math.round(PITCH_PX * 2.2)
  const left = pad * PITCH_PX
  const ox = c0[0] - left * srcPerPx * ux - (height / 2) * srcPerPx * vx
  const oy = c0[1] - left * srcPerPx * uy - (height / 2) * srcPerPx * vy
  const step = srcPerPx / level
  const img = sampleRect(
    src,
    [(ox + 0.5) / level - 0.5, (oy + 0.5) / level - 0.5],
    [ux * step, uy * step],
    [vx * step, vy * step],
    width,
    height,
  )
  const toSrc = (x: number, y: number): [number, number] => [
    ox + x * srcPerPx * ux + y * srcPerPx * vx,
    oy + x * srcPerPx * uy + y * srcPerPx * vy,
  ]
  return { img, toSrc }
}

/** q0 + q1·x + q2·x². */
const quadratic = (q: number[], x: number): number => q[0]! + q[1]! * x + q[2]! * x * x

/** Middle row and glyph height of a bowed line along its rectified image, each q0 + q1·x + q2·x². */
interface Bend {
  mid: number[]
  height: number[]
}

/** Bow of a line's glyph middles (px) and change of its glyph height (ratio) worth undoing. */
const BOW_PX = 0.08 * PITCH_PX
const HEIGHT_CHANGE = 1.12

/**
 * How a rectified line bows and how its glyph height changes along it, fitted through its
 * full-height glyphs; undefined when it is straight and even enough as it is.
 */
function bendOf(line: GrayImage): Bend | undefined {
  const { width, height } = line
  const mask = adaptiveInk(line, PITCH_PX, 12, 0.15)
  const { comps } = components(mask, width, height)
  const glyphs = comps.filter((c) => {
    const h = c.y1 - c.y0 + 1
    return h >= 0.5 * PITCH_PX && h <= 1.8 * PITCH_PX && c.x1 - c.x0 + 1 <= 1.5 * PITCH_PX
  })
  if (glyphs.length < 8) return undefined
  const heights = glyphs.map((c) => c.y1 - c.y0 + 1).sort((a, b) => a - b)
  const tall = heights[Math.floor(heights.length * 0.8)]!
  // '<' is shorter than the letters and digits; the height may change along the line by a fifth.
  const full = glyphs.filter((c) => c.y1 - c.y0 + 1 >= 0.7 * tall)
  if (full.length < 8) return undefined
  const at = (c: (typeof full)[number]): number => (c.x0 + c.x1) / 2
  const mid = fitPoly(
    full.map((c) => [at(c), (c.y0 + c.y1) / 2]),
    2,
  )
  const size = fitPoly(
    full.map((c) => [at(c), c.y1 - c.y0 + 1]),
    2,
  )
  const x0 = Math.min(...full.map(at))
  const x1 = Math.max(...full.map(at))
  // A bow is told only over several glyphs (and a quadratic needs more than two columns).
  if (x1 - x0 < 4 * PITCH_PX) return undefined
  const f = quadratic
  // Bow: the middle's largest distance from the chord between its ends.
  let bow = 0
  for (let x = x0; x <= x1; x += PITCH_PX / 2) {
    const chord = f(mid, x0) + ((f(mid, x1) - f(mid, x0)) * (x - x0)) / (x1 - x0)
    bow = Math.max(bow, Math.abs(f(mid, x) - chord))
  }
  const sizes = [f(size, x0), f(size, (x0 + x1) / 2), f(size, x1)]
  const change = Math.max(...sizes) / Math.max(1, Math.min(...sizes))
  if (bow < BOW_PX && change < HEIGHT_CHANGE) return undefined
  return { mid, height: size }
}

/**
 * A rectified line resampled so that its glyph middles lie on the image's middle row and every
 * glyph is as tall as the line's middle one, sheared by `shear` about that row.
 */
function unbend(rect: Sampled, bend: Bend, shear = 0): Sampled | undefined {
  const { width, height } = rect.img
  const f = quadratic
  const ref = f(bend.height, width / 2)
  if (!(ref > 0)) return undefined
  const at = (x: number, y: number): [number, number] => {
    const across = (y - height / 2) * Math.min(1.5, Math.max(0.67, f(bend.height, x) / ref))
    return [x + shear * across, f(bend.mid, x) + across]
  }
  // Sampled from the rectified line, whose pixels are already at the templates' pitch.
  const gray = new Uint8Array(width * height)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = at(x, y)
      gray[y * width + x] = Math.round(bilinear(rect.img, sx, sy))
    }
  }
  return { img: { width, height, gray }, toSrc: (x, y) => rect.toSrc(...at(x, y)) }
}

/** `unbend`, and sheared too when its glyphs still lean. */
function unbendAndShear(
  rect: Sampled,
  bend: Bend,
  n: number,
): (Sampled & { band: Band }) | undefined {
  const straight = unbend(rect, bend)
  const band = straight && findCells(straight.img, n)
  if (!straight || !band) return undefined
  const shear = estimateShear(straight.img, band)
  if (Math.abs(shear) < 0.05) return { ...straight, band }
  const sheared = unbend(rect, bend, shear)
  const band2 = sheared && findCells(sheared.img, n)
  return sheared && band2 ? { ...sheared, band: band2 } : { ...straight, band }
}
