// The MRZ reader: find the machine readable zone anywhere in a photo (rotated, upside down,
// under perspective, on a background), rectify each line, classify its glyphs against OCR-B
// templates, and accept a reading only when the ICAO check digits hold.

import { adaptiveInk, components, sampleRect, shrink, type GrayImage } from '../image.ts'
import {
  findCells,
  loadTemplates,
  MRZ_CHARSET,
  PITCH_PX,
  readCells,
  type Band,
  type LineRead,
  type Templates,
} from './glyphs.ts'
import { mrzCharValue } from './check-digit.ts'
import { isMrzCountryCode } from './countries.ts'
import {
  checkedPositions,
  countryFieldStarts,
  namesWellFormed,
  parseMrz,
  positionFilters,
  secondReading,
  type CloseCall,
  type ParsedMrz,
} from './parse.ts'

export interface MrzReadOptions {
  /** Day the dates are resolved against (YYYY-MM-DD). */
  asOf: string
  /** Receives intermediate images (working image, ink mask, rectified lines). */
  debug?: (name: string, image: GrayImage) => void
}

export type MrzRead =
  | {
      ok: true
      mrz: ParsedMrz
      /** Template match of the weakest cell and the mean over cells (1 = identical to OCR-B). */
      confidence: { min: number; mean: number }
      timingsMs: Record<string, number>
    }
  | { ok: false; code: 'MRZ_NOT_FOUND' | 'MRZ_UNREADABLE'; message: string }

/** Longer side of the image the MRZ is searched in. */
const WORK_SIDE = 1000
/** At most this many candidate zones are read before giving up. */
const MAX_CANDIDATES = 6
/**
 * A zone whose cells match OCR-B this poorly on average is not read at all: check digits alone
 * (with corrections) would pass some garbage by chance.
 */
const MIN_MEAN_SCORE = 0.8
/** Least lead of a character over a rival no check digit could tell from it. */
const SAFE_MARGIN = 0.04
/** Weakest acceptable match for a character no check digit covers (names, some optional data). */
const MIN_UNCHECKED_SCORE = 0.5
/** Alternatives offered to the parser: characters scoring within this of the best. */
const ALT_MARGIN = 0.06

interface Blob {
  uc: number
  vc: number
  umin: number
  umax: number
  vmin: number
  vmax: number
  h: number
  w: number
}

interface TextLine {
  blobs: Blob[]
  /** v = a + b·u through the glyph centres. */
  a: number
  b: number
  umin: number
  umax: number
  h: number
  pitch: number
}

/** Read the MRZ of a grayscale image of one document side. */
export async function readMrz(image: GrayImage, opts: MrzReadOptions): Promise<MrzRead> {
  const t0 = performance.now()
  const templates = await loadTemplates()
  const scale = WORK_SIDE / Math.max(image.width, image.height)
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
  let locateMs = 0
  for (const [pass, ink] of LOCATE_INK.entries()) {
    const tLocate = performance.now()
    const { groups, theta } = locate(work, ink, pass, opts)
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
            opts,
          )
          if (!reads) continue
          const all = reads.flatMap((r) => r.cells)
          const mean = all.reduce((sum, c) => sum + c.score, 0) / all.length
          if (mean < MIN_MEAN_SCORE) continue
          sawZone = true
          const parsed = interpret(reads, opts.asOf)
          if (parsed.ok) {
            if (opts.debug) opts.debug('mrz-crop', stack(reads.map((r) => r.image)))
            return {
              ok: true,
              mrz: parsed.mrz,
              confidence: { min: Math.min(...all.map((c) => c.score)), mean },
              timingsMs: {
                locate: Math.round(locateMs),
                read: Math.round(performance.now() - t0 - locateMs),
              },
            }
          }
          if (mean > lastMean) {
            lastMessage = parsed.message
            lastMean = mean
          }
        }
      }
    }
    // A fainter threshold only helps where the first found no lines at MRZ spacing at all.
    if (groups.length > 0) break
  }
  return sawZone
    ? { ok: false, code: 'MRZ_UNREADABLE', message: lastMessage }
    : { ok: false, code: 'MRZ_NOT_FOUND', message: 'No machine readable zone found in the image.' }
}

/**
 * Ink thresholds (below the local mean by at least `minContrast` grey levels and `relContrast`
 * of the mean) the zone is looked for with, in turn, and the widest gap between glyphs of one
 * line (in glyph heights). Blur spreads a small glyph's ink until only its core clears the first
 * threshold, and cores stand further apart than glyphs; the second, fainter pass is tried only
 * when the first found no lines at MRZ spacing.
 */
const LOCATE_INK = [
  { minContrast: 12, relContrast: 0.25, gap: 1.3 },
  { minContrast: 8, relContrast: 0.12, gap: 2 },
] as const

/** Candidate zones in the working image: groups of text lines at MRZ spacing, and the text direction. */
function locate(
  work: GrayImage,
  ink: (typeof LOCATE_INK)[number],
  pass: number,
  opts: MrzReadOptions,
): { groups: TextLine[][]; theta: number } {
  const mask = adaptiveInk(work, 15, ink.minContrast, ink.relContrast)
  const { comps, labels } = components(mask, work.width, work.height)
  if (opts.debug) {
    opts.debug(pass ? `ink-${pass}` : 'ink', { ...work, gray: mask.map((m) => (m ? 0 : 255)) })
  }
  const maxH = work.height / 6
  const charLike = comps.map((c) => {
    const h = c.y1 - c.y0 + 1
    const w = c.x1 - c.x0 + 1
    return h >= 4 && h <= maxH && w <= 3 * h + 4 && c.area >= 8
  })
  const theta = estimateSkew(comps.filter((_, i) => charLike[i]))
  const blobs = rotatedBlobs(labels, work.width, work.height, comps.length, theta, charLike)
  return { groups: groupLines(chainLines(blobs, ink.gap)), theta }
}

/** Dominant text direction (radians, within ±30°) from the directions to each glyph's nearest neighbour. */
function estimateSkew(comps: { cx: number; cy: number; y0: number; y1: number }[]): number {
  const bins = new Float64Array(61)
  const angles: number[] = []
  // Bucket by coarse cells so neighbour search stays linear.
  const cell = 24
  const grid = new Map<string, number[]>()
  comps.forEach((c, i) => {
    const key = `${Math.floor(c.cx / cell)},${Math.floor(c.cy / cell)}`
    const list = grid.get(key)
    if (list) list.push(i)
    else grid.set(key, [i])
  })
  for (let i = 0; i < comps.length; i++) {
    const a = comps[i]!
    const h = a.y1 - a.y0 + 1
    const gx = Math.floor(a.cx / cell)
    const gy = Math.floor(a.cy / cell)
    let best = -1
    let bestD = Infinity
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) {
        for (const j of grid.get(`${gx + dx},${gy + dy}`) ?? []) {
          if (j === i) continue
          const b = comps[j]!
          const hb = b.y1 - b.y0 + 1
          if (Math.min(h, hb) / Math.max(h, hb) < 0.6) continue
          const d = Math.hypot(b.cx - a.cx, b.cy - a.cy)
          if (d < bestD) {
            bestD = d
            best = j
          }
        }
      }
    }
    if (best < 0 || bestD > 2.5 * h) continue
    const b = comps[best]!
    let ang = (Math.atan2(b.cy - a.cy, b.cx - a.cx) * 180) / Math.PI
    if (ang > 90) ang -= 180
    if (ang <= -90) ang += 180
    if (Math.abs(ang) > 30) continue
    bins[Math.round(ang) + 30]! += 1
    angles.push(ang)
  }
  let peak = 30
  let peakVal = -1
  for (let k = 0; k < bins.length; k++) {
    const v = (bins[k - 1] ?? 0) + 2 * bins[k]! + (bins[k + 1] ?? 0)
    if (v > peakVal) {
      peakVal = v
      peak = k
    }
  }
  const near = angles.filter((a) => Math.abs(a - (peak - 30)) <= 2)
  const mean = near.length ? near.reduce((s, a) => s + a, 0) / near.length : peak - 30
  return (mean * Math.PI) / 180
}

/** Extents of each glyph in text-aligned coordinates u (along the text) and v (across). */
function rotatedBlobs(
  labels: Int32Array,
  width: number,
  height: number,
  count: number,
  theta: number,
  keep: boolean[],
): Blob[] {
  const cos = Math.cos(theta)
  const sin = Math.sin(theta)
  const umin = new Float64Array(count).fill(Infinity)
  const umax = new Float64Array(count).fill(-Infinity)
  const vmin = new Float64Array(count).fill(Infinity)
  const vmax = new Float64Array(count).fill(-Infinity)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const l = labels[y * width + x]! - 1
      if (l < 0 || !keep[l]) continue
      const u = x * cos + y * sin
      const v = -x * sin + y * cos
      if (u < umin[l]!) umin[l] = u
      if (u > umax[l]!) umax[l] = u
      if (v < vmin[l]!) vmin[l] = v
      if (v > vmax[l]!) vmax[l] = v
    }
  }
  const blobs: Blob[] = []
  for (let l = 0; l < count; l++) {
    if (!keep[l]) continue
    const h = vmax[l]! - vmin[l]! + 1
    const w = umax[l]! - umin[l]! + 1
    if (w > 3 * h + 2) continue
    blobs.push({
      uc: (umin[l]! + umax[l]!) / 2,
      vc: (vmin[l]! + vmax[l]!) / 2,
      umin: umin[l]!,
      umax: umax[l]!,
      vmin: vmin[l]!,
      vmax: vmax[l]!,
      h,
      w,
    })
  }
  return blobs
}

/** Chain glyphs left to right into text lines: similar height, aligned, at most `gap` heights apart. */
function chainLines(blobs: Blob[], gap: number): TextLine[] {
  const order = blobs.map((_, i) => i).sort((a, b) => blobs[a]!.umin - blobs[b]!.umin)
  const next = new Int32Array(blobs.length).fill(-1)
  const nextCost = new Float64Array(blobs.length).fill(Infinity)
  const prev = new Int32Array(blobs.length).fill(-1)
  for (let oi = 0; oi < order.length; oi++) {
    const ai = order[oi]!
    const a = blobs[ai]!
    let best = -1
    let bestCost = Infinity
    for (let oj = oi + 1; oj < order.length; oj++) {
      const bi = order[oj]!
      const b = blobs[bi]!
      const H = Math.max(a.h, b.h)
      if (b.umin - a.umax > gap * H) break
      if (b.uc <= a.uc) continue
      if (Math.min(a.h, b.h) / H < 0.55) continue
      const dv = Math.abs(b.vc - a.vc)
      if (dv > 0.35 * H) continue
      const cost = Math.max(0, b.umin - a.umax) + 2 * dv
      if (cost < bestCost) {
        bestCost = cost
        best = bi
      }
    }
    if (best < 0) continue
    // Each glyph has one predecessor: the closer one wins.
    const p = prev[best]!
    if (p >= 0) {
      if (nextCost[p]! <= bestCost) continue
      next[p] = -1
    }
    prev[best] = ai
    next[ai] = best
    nextCost[ai] = bestCost
  }
  const lines: TextLine[] = []
  for (let i = 0; i < blobs.length; i++) {
    if (prev[i]! >= 0) continue
    const members: Blob[] = []
    for (let k = i; k >= 0; k = next[k]!) members.push(blobs[k]!)
    if (members.length < 3) continue
    lines.push(lineFrom(members))
  }
  return mergeFragments(lines).filter((l) => l.blobs.length >= 10)
}

/**
 * Join pieces of one text line that a glare patch or a stain cut apart: collinear, of the same
 * glyph height, and at most ten glyph heights apart (a glare patch can wipe out eight cells).
 */
function mergeFragments(lines: TextLine[]): TextLine[] {
  const out = [...lines].sort((a, b) => a.umin - b.umin)
  for (let merged = true; merged;) {
    merged = false
    for (let i = 0; i < out.length && !merged; i++) {
      for (let j = 0; j < out.length && !merged; j++) {
        const a = out[i]!
        const b = out[j]!
        if (i === j || b.umin <= a.umax) continue
        const h = Math.max(a.h, b.h)
        if (Math.min(a.h, b.h) / h < 0.75) continue
        if (b.umin - a.umax > 10 * h) continue
        const u = (a.umax + b.umin) / 2
        if (Math.abs(a.a + a.b * u - (b.a + b.b * u)) > 0.3 * h) continue
        out.splice(Math.max(i, j), 1)
        out.splice(Math.min(i, j), 1, lineFrom([...a.blobs, ...b.blobs]))
        merged = true
      }
    }
  }
  return out
}

function lineFrom(members: Blob[]): TextLine {
  const n = members.length
  let su = 0
  let sv = 0
  let suu = 0
  let suv = 0
  for (const m of members) {
    su += m.uc
    sv += m.vc
    suu += m.uc * m.uc
    suv += m.uc * m.vc
  }
  const den = n * suu - su * su
  const b = den !== 0 ? (n * suv - su * sv) / den : 0
  const a = (sv - b * su) / n
  const hs = members.map((m) => m.h).sort((x, y) => x - y)
  const gaps = members
    .slice(1)
    .map((m, i) => m.uc - members[i]!.uc)
    .sort((x, y) => x - y)
  return {
    blobs: members,
    a,
    b,
    umin: members[0]!.umin,
    umax: members[n - 1]!.umax,
    h: hs[Math.floor(n * 0.75)] ?? hs[0]!,
    pitch: gaps[Math.floor(gaps.length / 2)] ?? 1,
  }
}

/** Groups of 2 or 3 parallel lines of equal extent at MRZ line spacing, most glyphs first. */
function groupLines(lines: TextLine[]): TextLine[][] {
  const vAt = (l: TextLine, u: number): number => l.a + l.b * u
  const sorted = [...lines].sort((x, y) => vAt(x, x.umin) - vAt(y, y.umin))
  const follows = (x: TextLine, y: TextLine): boolean => {
    const h = Math.max(x.h, y.h)
    if (Math.min(x.h, y.h) / h < 0.65) return false
    const mid = (Math.max(x.umin, y.umin) + Math.min(x.umax, y.umax)) / 2
    const d = vAt(y, mid) - vAt(x, mid)
    if (d < 1.25 * h || d > 2.8 * h) return false
    const overlap = Math.min(x.umax, y.umax) - Math.max(x.umin, y.umin)
    const shorter = Math.min(x.umax - x.umin, y.umax - y.umin)
    const longer = Math.max(x.umax - x.umin, y.umax - y.umin)
    if (overlap > 0.7 * longer) return true
    // A glare patch can cut a line short: one may then fall well short of the other, not stray
    // from it, and both keep the one MRZ pitch (ICAO 9303-3 §4.2) that lines of other text in
    // different sizes do not share.
    const pitches = Math.min(x.pitch, y.pitch) / Math.max(x.pitch, y.pitch)
    return shorter > 0.5 * longer && overlap > 0.9 * shorter && pitches > 0.88
  }
  const groups: { lines: TextLine[]; glyphs: number }[] = []
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      if (!follows(sorted[i]!, sorted[j]!)) continue
      const pair = [sorted[i]!, sorted[j]!]
      groups.push({ lines: pair, glyphs: pair.reduce((s, l) => s + l.blobs.length, 0) })
      for (let k = j + 1; k < sorted.length; k++) {
        if (!follows(sorted[j]!, sorted[k]!)) continue
        const triple = [...pair, sorted[k]!]
        groups.push({ lines: triple, glyphs: triple.reduce((s, l) => s + l.blobs.length, 0) })
      }
    }
  }
  // Prefer three-line zones (a TD1 also holds valid-looking pairs), then the most glyphs.
  groups.sort((x, y) => y.lines.length - x.lines.length || y.glyphs - x.glyphs)
  return groups.map((g) => g.lines)
}

/** Characters per line of a two-line zone, the likelier first (36: TD2/MRV-B/French ID; 44: TD3/MRV-A). */
function lineCountsFor(group: TextLine[]): number[] {
  const extent = Math.max(...group.map((l) => l.umax)) - Math.min(...group.map((l) => l.umin))
  const pitch = group.map((l) => l.pitch).sort((a, b) => a - b)[0]!
  const est = extent / pitch + 0.4
  return Math.abs(est - 36) <= Math.abs(est - 44) ? [36, 44] : [44, 36]
}

/** Rectify and classify each line of a zone; lines in reading order. Null when a line does not segment. */
async function readGroup(
  image: GrayImage,
  pyramid: Map<number, GrayImage>,
  group: TextLine[],
  n: number,
  flipped: boolean,
  theta: number,
  scale: number,
  templates: Templates,
  opts: MrzReadOptions,
): Promise<(LineRead & { image: GrayImage })[] | null> {
  const cos = Math.cos(theta)
  const sin = Math.sin(theta)
  const toSrc = (u: number, v: number): [number, number] => [
    (u * cos - v * sin) / scale,
    (u * sin + v * cos) / scale,
  ]
  const U0 = Math.min(...group.map((l) => l.umin))
  const U1 = Math.max(...group.map((l) => l.umax))
  const ordered = flipped ? [...group].reverse() : group
  const reads: (LineRead & { image: GrayImage })[] = []
  let k = 0
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
    if (!band) return null
    // Glyph middles sit half a capital above the baseline.
    const mid = (x: number): number => band!.baseline[0] + band!.baseline[1] * x - 0.45 * PITCH_PX
    const xa = band.centers[0]!
    const xb = band.centers[n - 1]!
    const a = rect.toSrc(xa, mid(xa))
    const b = rect.toSrc(xb, mid(xb))
    rect = rectify(src, level, a, b, n)
    band = findCells(rect.img, n)
    if (!band) return null
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
    opts.debug?.(`mrz-line-${k++}${flipped ? '-flipped' : ''}-n${n}`, rect.img)
    let read = readCells(rect.img, band, templates)
    // Perspective can stretch glyphs across the line more than along it: measure the capitals
    // against the templates' and read again around the glyphs' own height when it lies beyond
    // the scales readCells searched.
    const vScale = capitalScale(read, templates)
    if (Math.abs(vScale - 1) > 0.08) read = readCells(rect.img, band, templates, vScale)
    reads.push({ ...read, image: rect.img })
  }
  return reads
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

/** Images one above the other (the located zone, rectified, for debugging). */
function stack(images: GrayImage[]): GrayImage {
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
): { img: GrayImage; toSrc: (x: number, y: number) => [number, number] } {
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

const isDigitChar = (c: string): boolean => c >= '0' && c <= '9'
const PAIRS = new Set([
  '0O',
  'O0',
  '1I',
  'I1',
  '5S',
  'S5',
  '8B',
  'B8',
  '2Z',
  'Z2',
  '0D',
  'D0',
  '0Q',
  'Q0',
])
const CONFUSABLE_PAIR = (a: string, b: string): boolean => PAIRS.has(a + b)
/** Below this score margin, a letter/digit pair is decided by glyph match and height together. */
const PAIR_MARGIN = 0.08
/**
 * Weighing a close letter/digit pair: the letter's lead in score, in units of PAIR_SCORE_UNIT,
 * less the cell's height (−1 at capital height, +1 at digit height) must reach PAIR_EVIDENCE
 * either way. Fitted on 6600 O/0 cells of 2589 lines from held-out degraded corpora: 2 wrong,
 * 148 undecided, where the height alone (thresholds at 35 % and 65 % of the way) had 31 wrong.
 */
const PAIR_SCORE_UNIT = 0.02
const PAIR_EVIDENCE = 2
/** OCR-B digits are 77/71 of the capital height (ISO 1073-2 glyph drawings). */
const DIGIT_OVER_CAPITAL = 1.085

/**
 * Height scale for one line, from the heights of confidently read digits and capitals (either
 * derived from the other when a line has too few): where a measured height lies, −1 at capital
 * height and +1 at digit height (clamped to ±3), or null when the line cannot tell them apart.
 */
function classHeights(r: LineRead): (h: number) => number | null {
  const digits: number[] = []
  const letters: number[] = []
  r.cells.forEach((c, i) => {
    const sorted = [...c.scores].sort((a, b) => b - a)
    if (c.score < 0.75 || c.score - sorted[1]! < 0.1) return
    if (isDigitChar(c.ch) && c.ch !== '1') digits.push(r.heights[i]!)
    else if (c.ch >= 'A' && c.ch <= 'Z' && c.ch !== 'I') letters.push(r.heights[i]!)
  })
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  let d = digits.length >= 3 ? med(digits) : NaN
  let l = letters.length >= 3 ? med(letters) : NaN
  if (Number.isNaN(d) && !Number.isNaN(l)) d = l * DIGIT_OVER_CAPITAL
  if (Number.isNaN(l) && !Number.isNaN(d)) l = d / DIGIT_OVER_CAPITAL
  return (h) => {
    if (Number.isNaN(d) || Number.isNaN(l) || d - l < 0.02) return null
    return Math.max(-3, Math.min(3, (2 * h - l - d) / (d - l)))
  }
}

/** Turn cell scores into MRZ lines restricted to each position's field type, and parse. */
function interpret(
  reads: LineRead[],
  asOf: string,
): { ok: true; mrz: ParsedMrz } | { ok: false; message: string } {
  const raw = reads.map((r) => r.cells.map((c) => c.ch).join(''))
  // ICAO 9303-4/5/6/7 §4.2.2: the document code starts with P, I, A, C or V; it also decides the
  // layout (V: visa), so take the best of those five before anything else.
  const codeScores = reads[0]!.cells[0]!.scores
  const code = [...'PIACV'].sort(
    (a, b) => codeScores[MRZ_CHARSET.indexOf(b)]! - codeScores[MRZ_CHARSET.indexOf(a)]!,
  )[0]!
  raw[0] = code + raw[0]!.slice(1)
  const filters = positionFilters(raw)
  if (!filters) return { ok: false, message: 'The zone does not have an MRZ layout.' }
  const checked = checkedPositions(raw)
  const countries = countryFieldStarts(raw)
  const close = new Map<string, string[]>()
  const closeCalls: CloseCall[] = []
  const lines: string[] = []
  const alternatives: string[][] = []
  for (const [l, r] of reads.entries()) {
    const heightOf = classHeights(r)
    let line = ''
    const alts: string[] = []
    for (const [p, cell] of r.cells.entries()) {
      const ok = l === 0 && p === 0 ? (c: string) => c === code : (filters[l]?.[p] ?? (() => true))
      const ranked = [...MRZ_CHARSET]
        .map((ch, i) => ({ ch, s: cell.scores[i]! }))
        .filter((x) => ok(x.ch))
        .sort((a, b) => b.s - a.s)
      let best = ranked[0]!
      let rest = ranked.slice(1)
      // Where no check digit looks, a glyph that matches nothing well is not guessed at.
      if (!checked?.[l]?.[p] && best.s < MIN_UNCHECKED_SCORE) {
        return { ok: false, message: `Character ${p + 1} of line ${l + 1} is illegible.` }
      }
      // OCR-B digits stand taller than its capitals: settle a close letter/digit pair by glyph
      // match and height together.
      const second = rest[0]
      let decided = false
      if (second && best.s - second.s < PAIR_MARGIN && CONFUSABLE_PAIR(best.ch, second.ch)) {
        const [letter, digit] = isDigitChar(best.ch) ? [second, best] : [best, second]
        const z = heightOf(r.heights[p]!)
        const evidence = z === null ? 0 : (letter.s - digit.s) / PAIR_SCORE_UNIT - z
        if (Math.abs(evidence) < PAIR_EVIDENCE) {
          // A check digit may still settle it (the pair stays among the alternatives);
          // elsewhere nothing would.
          if (!checked?.[l]?.[p]) {
            return {
              ok: false,
              message: `Cannot tell '${best.ch}' from '${second.ch}' on line ${l + 1}.`,
            }
          }
        } else {
          if ((evidence > 0 ? letter : digit) !== best) {
            ;[best, rest] = [second, [best, ...rest.slice(1)]]
          }
          rest = rest.filter((x) => !CONFUSABLE_PAIR(best.ch, x.ch))
          decided = true
        }
      }
      // A check digit cannot see a substitution between characters of equal value mod 10
      // (0, <, A, K, U; 1, B, L, V; …), nor any substitution where no check digit looks: there
      // the glyph match alone must be clear.
      const blind = (x: { ch: string }): boolean =>
        !checked?.[l]?.[p] || mrzCharValue(x.ch) % 10 === mrzCharValue(best.ch) % 10
      const rival = rest.find((x) => blind(x) && !(decided && CONFUSABLE_PAIR(best.ch, x.ch)))
      if (checked?.[l]?.[p]) {
        const near = rest.filter(
          (x) => best.s - x.s < SAFE_MARGIN && !(decided && CONFUSABLE_PAIR(best.ch, x.ch)),
        )
        if (near.length)
          closeCalls.push({ line: l, pos: p, chars: best.ch + near.map((x) => x.ch).join('') })
      }
      const inCountry = countries.some(([cl, cs]) => cl === l && p >= cs && p < cs + 3)
      if (inCountry) {
        // Settled below against the list of country codes.
        close.set(`${l}:${p}`, [
          best.ch,
          ...rest.filter((x) => x.s >= best.s - SAFE_MARGIN).map((x) => x.ch),
        ])
      } else if (rival && best.s - rival.s < SAFE_MARGIN) {
        return {
          ok: false,
          message: `Cannot tell '${best.ch}' from '${rival.ch}' at character ${p + 1} of line ${l + 1}.`,
        }
      }
      line += best.ch
      alts.push(
        rest
          .slice(0, 2)
          .filter((x) => x.s >= best.s - ALT_MARGIN)
          .map((x) => x.ch)
          .join(''),
      )
    }
    lines.push(line)
    alternatives.push(alts)
  }
  // ICAO 9303-3 §5: issuer and nationality are codes from a closed list, and no check digit
  // covers them; of the readings the glyph matches allow, exactly one must be a listed code.
  for (const [l, start] of countries) {
    const options = [0, 1, 2].map((k) => close.get(`${l}:${start + k}`) ?? [lines[l]![start + k]!])
    const valid: string[] = []
    for (const a of options[0]!) {
      for (const b of options[1]!)
        for (const c of options[2]!) if (isMrzCountryCode(a + b + c)) valid.push(a + b + c)
    }
    if (valid.length !== 1) {
      const read = lines[l]!.slice(start, start + 3)
      return {
        ok: false,
        message:
          valid.length === 0
            ? `'${read}' on line ${l + 1} is not a country code.`
            : `The country code on line ${l + 1} could be ${valid.join(' or ')}.`,
      }
    }
    lines[l] = lines[l]!.slice(0, start) + valid[0]! + lines[l]!.slice(start + 3)
  }
  const parsed = parseMrz({ lines, alternatives }, { asOf })
  if (!parsed.ok) return { ok: false, message: parsed.message }
  if (!parsed.mrz.valid) {
    const failed = Object.entries(parsed.mrz.checks)
      .filter(([, v]) => !v)
      .map(([k]) => k)
    return {
      ok: false,
      message: `Check digits do not hold (${failed.join(', ')}); the zone is unreadable.`,
    }
  }
  // ICAO 9303-4/5/6/7 §4.2.2: the document code starts with P, I, A, C or V.
  if (!'PIACV'.includes(parsed.mrz.lines[0]![0]!)) {
    return { ok: false, message: 'The document code is not an ICAO document code.' }
  }
  if (!namesWellFormed(parsed.mrz.format, parsed.mrz.lines)) {
    return { ok: false, message: 'The name field is not well formed; the zone is unreadable.' }
  }
  const other = secondReading(parsed.mrz.lines, closeCalls, { asOf })
  if (other) {
    return {
      ok: false,
      message: `Another reading also satisfies the check digits (${other.join(' / ')}); refusing to guess.`,
    }
  }
  return { ok: true, mrz: parsed.mrz }
}
