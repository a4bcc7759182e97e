// Finding the machine readable zone in the working image: ink, glyph-sized blobs, the text
// direction, glyphs chained into lines, and lines grouped at MRZ spacing (ICAO 9303-3 §4.2).

import { adaptiveInk, components, type GrayImage } from '../image.ts'

/** Receives intermediate images (working image, ink mask, rectified lines). */
export type MrzDebug = (name: string, image: GrayImage) => void

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

export interface TextLine {
  blobs: Blob[]
  /** v = a + b·u through the glyph centres. */
  a: number
  b: number
  umin: number
  umax: number
  h: number
  pitch: number
}

/**
 * Ink thresholds (below the local mean by at least `minContrast` grey levels and `relContrast`
 * of the mean) the zone is looked for with, in turn, and the widest gap between glyphs of one
 * line (in glyph heights). Blur spreads a small glyph's ink until only its core clears the first
 * threshold, and cores stand further apart than glyphs; the second, fainter pass is tried only
 * when the first found no lines at MRZ spacing.
 */
export const LOCATE_INK = [
  { minContrast: 12, relContrast: 0.25, gap: 1.3 },
  { minContrast: 8, relContrast: 0.12, gap: 2 },
] as const

/** Candidate zones in the working image: groups of text lines at MRZ spacing, and the text direction. */
export function locate(
  work: GrayImage,
  ink: (typeof LOCATE_INK)[number],
  pass: number,
  debug: MrzDebug | undefined,
): { groups: TextLine[][]; theta: number } {
  const mask = adaptiveInk(work, 15, ink.minContrast, ink.relContrast)
  const { comps, labels } = components(mask, work.width, work.height)
  if (debug) {
    debug(pass ? `ink-${pass}` : 'ink', { ...work, gray: mask.map((m) => (m ? 0 : 255)) })
  }
  // A glyph is far shorter than its line of 30–44 cells, which runs along the image; a sixth of
  // the height keeps large shapes out of a document photo, and an MRZ cut out tight (a strip
  // a few glyphs tall) keeps its glyphs by the length of its lines.
  const maxH = Math.max(work.height / 6, Math.max(work.width, work.height) / 20)
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
export function lineCountsFor(group: TextLine[]): number[] {
  const extent = Math.max(...group.map((l) => l.umax)) - Math.min(...group.map((l) => l.umin))
  const pitch = group.map((l) => l.pitch).sort((a, b) => a - b)[0]!
  const est = extent / pitch + 0.4
  return Math.abs(est - 36) <= Math.abs(est - 44) ? [36, 44] : [44, 36]
}
