// Segmentation of one rectified MRZ line into character cells: the text band, its baseline and
// the n cell centres, found from the ink's connected components at the fixed OCR-B pitch
// (ICAO 9303-3 §4.1). Classification of the cells is glyphs.ts's.

import { adaptiveInk, components, type Component, type GrayImage } from '../image.ts'

/** Rectified lines are sampled at this many pixels per character pitch. */
export const PITCH_PX = 20

export interface Band {
  top: number
  bottom: number
  /** Baseline y = baseline[0] + baseline[1]·x: a rectified line may still lean a little. */
  baseline: [number, number]
  centers: number[]
}

/**
 * Find the text band and the n cell centres of a rectified line (about PITCH_PX per character,
 * text roughly centred vertically). Null when the line does not hold n characters.
 */
export function findCells(line: GrayImage, n: number): Band | null {
  // Glyphs under a glare patch keep a fraction of their contrast: look again for fainter ink.
  return cellsWithInk(line, n, 12, 0.15) ?? cellsWithInk(line, n, 6, 0.05)
}

function cellsWithInk(
  line: GrayImage,
  n: number,
  minContrast: number,
  relContrast: number,
): Band | null {
  const { width, height } = line
  const mask = adaptiveInk(line, PITCH_PX, minContrast, relContrast)
  const { comps } = components(mask, width, height)
  const mid = height / 2
  const glyphs = comps.filter((c) => {
    const h = c.y1 - c.y0 + 1
    const w = c.x1 - c.x0 + 1
    return (
      h >= 0.3 * PITCH_PX &&
      h <= 2 * PITCH_PX &&
      w <= 3 * PITCH_PX &&
      c.y0 < mid &&
      c.y1 > mid - 0.1 * height &&
      c.area >= 6
    )
  })
  if (glyphs.length < n / 3) return null
  const heights = glyphs.map((c) => c.y1 - c.y0 + 1).sort((a, b) => a - b)
  const tall = heights[Math.floor(heights.length * 0.8)] ?? 0
  // '<' is shorter and sits above the baseline: keep full-height glyphs only.
  const capGlyphs = glyphs.filter((c) => c.y1 - c.y0 + 1 >= 0.86 * tall)
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b)
    return s[Math.floor(s.length / 2)] ?? 0
  }
  const top = median(capGlyphs.map((c) => c.y0))
  const bottom = median(capGlyphs.map((c) => c.y1))
  const single = glyphs.filter(
    (c) => c.x1 - c.x0 + 1 <= 1.1 * PITCH_PX && c.y1 >= top && c.y0 <= bottom,
  )
  if (single.length < n / 3) return null
  const inBand = glyphs.filter((c) => c.y1 >= top && c.y0 <= bottom)
  // Usually the line runs from its first glyph to its last. Clutter collinear with the line (text
  // beside the document) can lengthen it: then keep the stretch of glyphs that spans n cells.
  const walk = walkCells(inBand, single, n) ?? walkTrimmed(inBand, single, n)
  if (!walk) return null
  let coef: number[] = [walk.first, walk.pitch, 0]
  const inRange = walk.pts.filter(([i]) => i >= 0 && i < n)
  if (inRange.length >= 4) coef = fitPoly(inRange, inRange.length >= 12 ? 2 : 1)
  const at = (i: number): number => coef[0]! + coef[1]! * i + coef[2]! * i * i
  // One cell off: the walk counts from the leftmost glyph, so a missing cell goes at the end and
  // an extra one (a stroke of background print taken for a glyph) at the start. Ink in a cell,
  // against its neighbour's, says which end it really is: a glyph too faint to segment (as glare
  // leaves it) has about as much as the glyph next to it, a stroke of background print far less.
  const ink = (i: number): number => cellInk(line, at(i), top, bottom, coef[1]!)
  const relative = (i: number, neighbour: number): number => ink(i) / Math.max(1e-9, ink(neighbour))
  let shift = 0
  if (walk.cells === n - 1 && relative(-1, 0) >= 0.4 && relative(n - 1, n - 2) <= 0.25) shift = 1
  if (walk.cells === n + 1 && relative(0, 1) < 0.6 && relative(0, 1) < relative(n, n - 1)) {
    shift = -1
  }
  const centers = Array.from({ length: n }, (_, i) => at(i - shift))
  // Baseline. The slope comes from glyph middles, which '<' shares with capitals and digits to
  // within 4 %; the height from the lowest bottoms, since '<' stands about 0.1 capital above the
  // baseline and filler-heavy lines are mostly '<' (90th percentile, at most 0.15 pitch below
  // the median).
  let middle: [number, number] = [(top + bottom) / 2, 0]
  for (let iter = 0; iter < 2; iter++) {
    const pts = capGlyphs
      .map((c) => [(c.x0 + c.x1) / 2, (c.y0 + c.y1) / 2] as [number, number])
      .filter(([x, y]) => Math.abs(y - (middle[0] + middle[1] * x)) <= (iter === 0 ? 4 : 2))
    if (pts.length < 6) break
    const fit = fitPoly(pts, 1)
    middle = [fit[0]!, fit[1]!]
  }
  const slope = middle[1]
  const offsets = capGlyphs.map((c) => c.y1 - slope * ((c.x0 + c.x1) / 2)).sort((a, b) => a - b)
  const med = offsets[Math.floor(offsets.length / 2)] ?? bottom
  const low = offsets[Math.floor(offsets.length * 0.9)] ?? med
  const base: [number, number] = [Math.min(med + 0.15 * PITCH_PX, low), slope]
  return { top, bottom, baseline: base, centers }
}

interface CellWalk {
  /** Centre of cell 0 (the first glyph's) and the pitch the walk started with. */
  first: number
  pitch: number
  /** Cells counted from the first glyph to the last. */
  cells: number
  /** [cell index, glyph centre x] of the single glyphs counted. */
  pts: [number, number][]
}

/**
 * Count the cells from the leftmost glyph to the rightmost, at a pitch that adapts as it goes (a
 * tilted document foreshortens one end). Null unless they make n cells, give or take one: this
 * is what tells a 36- from a 44-character line (MRV-A and MRV-B differ only in length, and have
 * no composite check). Without a pitch, the glyphs' extent is taken to be n cells.
 */
function walkCells(
  glyphs: Component[],
  single: Component[],
  n: number,
  pitch0?: number,
): CellWalk | null {
  const left = Math.min(...glyphs.map((c) => c.x0))
  const right = Math.max(...glyphs.map((c) => c.x1))
  // Glyphs sit centred in their cells; an OCR-B glyph is about 0.58 pitch wide.
  const pitch = pitch0 ?? (right - left - 0.58 * PITCH_PX) / (n - 1)
  const first = left + 0.29 * (pitch0 ?? PITCH_PX)
  if (!(pitch > 0.6 * PITCH_PX && pitch < 1.5 * PITCH_PX)) return null
  const sorted = single
    .map((c) => (c.x0 + c.x1) / 2)
    .filter((x) => x >= left && x <= right)
    .sort((a, b) => a - b)
  if (sorted.length === 0) return null
  const pts: [number, number][] = []
  let idx = Math.round((sorted[0]! - first) / pitch)
  let local = pitch
  let prevX = sorted[0]!
  pts.push([idx, prevX])
  for (const cx of sorted.slice(1)) {
    const step = Math.round((cx - prevX) / local)
    if (step < 1) continue // a broken glyph's second piece
    if (step === 1) local = 0.7 * local + 0.3 * (cx - prevX)
    idx += step
    prevX = cx
    pts.push([idx, cx])
  }
  const lastCell = idx + Math.round((right - 0.29 * local - prevX) / local)
  if (Math.abs(lastCell + 1 - n) > 1) return null
  return { first, pitch, cells: lastCell + 1, pts }
}

/**
 * A line that runs on into clutter: split the glyphs where two or more cells stand empty (an MRZ
 * line has a glyph in every cell) and walk the stretch of neighbouring pieces that spans n cells
 * and holds the most glyphs, at the pitch of neighbouring glyphs.
 */
function walkTrimmed(glyphs: Component[], single: Component[], n: number): CellWalk | null {
  const centres = single.map((c) => (c.x0 + c.x1) / 2).sort((a, b) => a - b)
  const steps = centres
    .slice(1)
    .map((x, i) => x - centres[i]!)
    .sort((a, b) => a - b)
  const pitch = steps[Math.floor(steps.length / 2)]
  if (pitch === undefined || !(pitch > 0.6 * PITCH_PX && pitch < 1.5 * PITCH_PX)) return null
  const pieces: Component[][] = []
  let reach = -Infinity
  for (const g of [...glyphs].sort((a, b) => a.x0 - b.x0)) {
    if (g.x0 - reach > 1.9 * pitch) pieces.push([])
    pieces.at(-1)!.push(g)
    reach = Math.max(reach, g.x1)
  }
  let best: Component[] | null = null
  for (let a = 0; a < pieces.length; a++) {
    for (let b = a; b < pieces.length; b++) {
      const run = pieces.slice(a, b + 1).flat()
      const left = Math.min(...run.map((c) => c.x0))
      const right = Math.max(...run.map((c) => c.x1))
      const cells = (right - left) / pitch + 0.42
      if (Math.abs(cells - n) <= 1.5 && run.length > (best?.length ?? 0)) best = run
    }
  }
  return best && walkCells(best, single, n, pitch)
}

/** Spread of the grey levels in a cell box: paper alone has little, even a faint glyph more. */
function cellInk(line: GrayImage, cx: number, top: number, bottom: number, pitch: number): number {
  const { width: w, gray } = line
  const x0 = Math.max(0, Math.round(cx - 0.35 * pitch))
  const x1 = Math.min(w - 1, Math.round(cx + 0.35 * pitch))
  let n = 0
  let sum = 0
  let sq = 0
  for (let y = Math.max(0, top); y <= Math.min(line.height - 1, bottom); y++) {
    for (let x = x0; x <= x1; x++) {
      const v = gray[y * w + x]!
      sum += v
      sq += v * v
      n++
    }
  }
  return n ? Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2)) : 0
}

/** Least-squares polynomial (degree 1 or 2) through points (i, x); returns [c0, c1, c2]. */
export function fitPoly(pts: [number, number][], degree: 1 | 2): number[] {
  const k = degree + 1
  const A = Array.from({ length: k }, () => new Array<number>(k + 1).fill(0))
  for (const [i, x] of pts) {
    const p = [1, i, i * i]
    for (let r = 0; r < k; r++) {
      for (let c = 0; c < k; c++) A[r]![c]! += p[r]! * p[c]!
      A[r]![k]! += p[r]! * x
    }
  }
  for (let col = 0; col < k; col++) {
    let piv = col
    for (let r = col + 1; r < k; r++) if (Math.abs(A[r]![col]!) > Math.abs(A[piv]![col]!)) piv = r
    ;[A[col], A[piv]] = [A[piv]!, A[col]!]
    const d = A[col]![col]!
    if (Math.abs(d) < 1e-9) return [pts[0]![1], PITCH_PX, 0]
    for (let r = 0; r < k; r++) {
      if (r === col) continue
      const f = A[r]![col]! / d
      for (let c = col; c <= k; c++) A[r]![c]! -= f * A[col]![c]!
    }
  }
  const sol = A.map((row, i) => row[k]! / row[i]!)
  return [sol[0]!, sol[1]!, sol[2] ?? 0]
}

/** A rectified line and its summed-area table (`integral`), for box averages at sub-pixel positions. */
