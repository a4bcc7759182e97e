// Turning a located PDF417 upright: sampled straight from the source at the bars' angle, the
// crop narrowed to the rows and columns busy with bars, residual tilt, row slope and the
// convergence of the bars under perspective measured and undone, enlarged bicubically.

import type { GrayImage } from '../image.ts'
import { largestRun, type Candidate } from './pdf417-locate.ts'

/** Length (px) an upright symbol is enlarged to when its modules are fine. */
const UPRIGHT_SYMBOL_PX = 1150

/**
 * Samples the candidate's region upright (bars vertical) straight from the source, enlarged so
 * that modules are about three pixels wide: rotation, crop and scale in one bilinear pass.
 */
export function uprightCrop(image: GrayImage, c: Candidate): GrayImage & { scale: number } {
  // Generous at first: the block mask may hold only part of the symbol (a blurred half).
  const margin = marginOf(c)
  let along = c.along * 1.8 + 2 * margin
  let across = c.across * 1.3 + 2 * margin
  // A quick look first: the symbol about 600 px long, enough to find its tilt and extent.
  let scale = Math.min(2, 1000 / along)
  let { cx, cy } = c
  let first = sampleRotated(image, cx, cy, c.angle, along, across, scale)
  // The block estimate is a degree or two off on fine modules: refine it on the upright crop.
  const angle = c.angle - residualTilt(first)
  const a = (c.angle * Math.PI) / 180
  const move = (du: number, dv: number): void => {
    cx += du * Math.cos(a) - dv * Math.sin(a)
    cy += du * Math.sin(a) + dv * Math.cos(a)
  }
  // The block mask may hold the card's edges or print next to the symbol: keep the span of
  // rows and columns that is busy with bars. When that span runs into the crop's border the
  // symbol goes on beyond it: widen towards that side and look again.
  let box = busySpan(first)
  for (let round = 0; round < 2 && box !== null; round++) {
    const grow = [box.u0 <= 2, box.u1 >= first.width - 3, box.v0 <= 2, box.v1 >= first.height - 3]
    if (!grow.some(Boolean)) break
    const [left, right, top, bottom] = grow
    const dAlong = along * 0.4
    const dAcross = across * 0.3
    move(
      ((right ? 1 : 0) - (left ? 1 : 0)) * (dAlong / 2),
      ((bottom ? 1 : 0) - (top ? 1 : 0)) * (dAcross / 2),
    )
    along += left || right ? dAlong : 0
    across += top || bottom ? dAcross : 0
    scale = Math.min(2, 1000 / along)
    first = sampleRotated(image, cx, cy, angle, along, across, scale)
    box = busySpan(first)
  }
  if (box !== null) {
    move(
      ((box.u0 + box.u1) / 2 - first.width / 2) / scale,
      ((box.v0 + box.v1) / 2 - first.height / 2) / scale,
    )
    const symbolAlong = (box.u1 - box.u0) / scale
    along = symbolAlong + 2 * Math.max(6, symbolAlong * 0.04)
    across = (box.v1 - box.v0) / scale + 2 * Math.max(6, symbolAlong * 0.04)
    scale = Math.min(3, Math.max(UPRIGHT_SYMBOL_PX / along, Math.min(1, 1800 / along)))
  }
  // Perspective makes the bars converge (their tilt changes from the start pattern to the
  // stop pattern) and the rows slope although the bars stand upright. Measure the tilt at
  // both ends and the slope of the rows on a quick sampling, then straighten both in the final
  // one, which is bicubic: the enlargement keeps bars sharp for the decoder.
  const tight = sampleRotated(image, cx, cy, angle, along, across, scale)
  const slopeAt = (from: number, to: number): number =>
    -Math.tan((residualTilt(columns(tight, from, to)) * Math.PI) / 180)
  const left = slopeAt(0, 0.35)
  const right = slopeAt(0.65, 1)
  const bent = Math.abs(right - left) > Math.tan((0.4 * Math.PI) / 180)
  const slope = rowSlope(tight)
  const upright = sampleRotated(image, cx, cy, angle, along, across, scale, {
    shear: Math.abs(slope) < 0.5 ? 0 : Math.tan((slope * Math.PI) / 180),
    bend: bent ? { m0: (left + right) / 2, m1: (right - left) / 0.65 } : undefined,
    cubic: true,
  })
  return { ...upright, scale }
}

/**
 * Module width of an upright PDF417 crop, in the crop's pixels, or null when its rows show too
 * few bars. ISO/IEC 15438 §5.3: every codeword is 17 modules in 4 bars and 4 spaces, and the
 * start (8 elements, 17 modules) and stop (9 elements, 18 modules) patterns keep that ratio, so
 * along a row the mean run of ink or paper is 17/8 modules. Blur merges the narrowest runs and
 * makes the estimate larger, never smaller.
 */
export function moduleWidth(upright: GrayImage): number | null {
  const rows = inkRows(upright)
  if (rows === null) return null
  const runs: number[] = []
  for (const bars of rows) {
    const first = bars[0]
    const last = bars.at(-1)
    // A row of a symbol holds at least start, a row indicator, one codeword, and stop: 34 runs
    // of ink or paper.
    if (first === undefined || last === undefined || 2 * bars.length - 1 < 34) continue
    runs.push((last[1] - first[0]) / (2 * bars.length - 1))
  }
  if (runs.length < 3) return null
  runs.sort((a, b) => a - b)
  return runs[Math.floor(runs.length / 2)]! / (17 / 8)
}

/**
 * Whether an upright crop shows a PDF417's start or stop pattern: on at least a third of its
 * middle rows, a bar at least three modules wide (the start pattern's is 8, the stop pattern's 7;
 * blur only widens them) opens the row, or stands within the row's last 20 modules, at the same
 * place row after row. Text taken for bars (a widely spaced MRZ's glyph strokes) has no such bar:
 * its wide runs are the arms of a few letters, on a few rows, wherever those letters stand.
 * Measured: real symbols (phone photos, a blurred card back, a caption across one) 60–100 % of
 * rows; a widely spaced MRZ 4–12 %.
 */
export function hasGuardBar(upright: GrayImage, module: number): boolean {
  const rows = inkRows(upright)
  if (rows === null || rows.length === 0) return false
  const wide = module * 3
  const starts: number[] = []
  const ends: number[] = []
  for (const bars of rows) {
    const first = bars[0]
    const last = bars.at(-1)
    if (first === undefined || last === undefined || bars.length < 8) continue
    if (first[1] - first[0] >= wide) starts.push(first[0])
    if (bars.some(([a, b]) => b - a >= wide && b >= last[1] - 20 * module)) ends.push(last[1])
  }
  const aligned = (xs: number[]): number => {
    const sorted = [...xs].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0
    return xs.filter((x) => Math.abs(x - median) <= 3 * module).length
  }
  return Math.max(aligned(starts), aligned(ends)) >= rows.length / 3
}

/**
 * The dark runs ([from, to) in pixels) along about 40 rows of the crop's middle 60 %, split at
 * the middle of its 10th and 90th percentile levels; null for a crop without that much contrast.
 */
function inkRows(upright: GrayImage): [number, number][][] | null {
  const { width: w, height: h, gray } = upright
  const hist = new Uint32Array(256)
  for (const v of gray) hist[v]!++
  const level = (share: number): number => {
    let acc = 0
    for (let v = 0; v < 256; v++) if ((acc += hist[v]!) >= share * gray.length) return v
    return 255
  }
  const lo = level(0.1)
  const hi = level(0.9)
  if (hi - lo < 30) return null
  const cut = (lo + hi) / 2
  const rows: [number, number][][] = []
  for (let y = Math.floor(h * 0.2); y < Math.ceil(h * 0.8); y += Math.max(1, Math.floor(h / 40))) {
    const row = y * w
    const bars: [number, number][] = []
    let from = -1
    for (let x = 0; x <= w; x++) {
      const dark = x < w && gray[row + x]! < cut
      if (dark && from < 0) from = x
      else if (!dark && from >= 0) {
        bars.push([from, x])
        from = -1
      }
    }
    rows.push(bars)
  }
  return rows
}

/** Bar slope (dx/dy) varying across the symbol: m0 at its middle, changing by m1 per width. */
interface Bend {
  m0: number
  m1: number
}

/** The columns between two fractions of the width. */
function columns(r: GrayImage, from: number, to: number): GrayImage {
  const x0 = Math.floor(r.width * from)
  const width = Math.max(1, Math.floor(r.width * to) - x0)
  const gray = new Uint8Array(width * r.height)
  for (let y = 0; y < r.height; y++) {
    gray.set(r.gray.subarray(y * r.width + x0, y * r.width + x0 + width), y * width)
  }
  return { width, height: r.height, gray }
}

interface Span {
  u0: number
  u1: number
  v0: number
  v1: number
}

/** The rows and columns of an upright crop where horizontal contrast (bars) is dense. */
function busySpan(r: GrayImage): Span | null {
  const { width: w, height: h, gray } = r
  const rowEnergy = new Float64Array(h)
  for (let v = 0; v < h; v++) {
    let e = 0
    const o = v * w
    for (let u = 0; u + 1 < w; u++) e += Math.abs((gray[o + u + 1] ?? 0) - (gray[o + u] ?? 0))
    rowEnergy[v] = e
  }
  const rows = largestRun(
    smooth(rowEnergy, Math.max(1, Math.round(h / 80))),
    0.3,
    Math.round(h / 25),
  )
  if (rows === null) return null
  const colEnergy = new Float64Array(w)
  for (let v = rows[0]; v <= rows[1]; v++) {
    const o = v * w
    for (let u = 0; u + 1 < w; u++) {
      colEnergy[u] = (colEnergy[u] ?? 0) + Math.abs((gray[o + u + 1] ?? 0) - (gray[o + u] ?? 0))
    }
  }
  const cols = largestRun(
    smooth(colEnergy, Math.max(2, Math.round(w / 60))),
    0.2,
    Math.round(w / 30),
  )
  if (cols === null) return null
  return { u0: cols[0], u1: cols[1], v0: rows[0], v1: rows[1] }
}

function smooth(values: Float64Array, radius: number): Float64Array {
  const out = new Float64Array(values.length)
  let sum = 0
  for (let i = 0; i < values.length + radius; i++) {
    if (i < values.length) sum += values[i] ?? 0
    if (i - 2 * radius - 1 >= 0) sum -= values[i - 2 * radius - 1] ?? 0
    const centre = i - radius
    if (centre >= 0 && centre < values.length) out[centre] = sum / (2 * radius + 1)
  }
  return out
}

// Block size in source pixels is carried by the candidate's extent; a fixed share of it is margin.
function marginOf(c: Candidate): number {
  return Math.max(8, Math.min(c.along, c.across) / 8)
}

function sampleRotated(
  image: GrayImage,
  cx: number,
  cy: number,
  angleDeg: number,
  along: number,
  across: number,
  scale: number,
  warp: { shear?: number; bend?: Bend; cubic?: boolean } = {},
): GrayImage {
  const shear = warp.shear ?? 0
  const bend = warp.bend ?? { m0: 0, m1: 0 }
  const cubic = warp.cubic === true
  const width = Math.max(16, Math.round(along * scale))
  const height = Math.max(16, Math.round(across * scale))
  const a = (angleDeg * Math.PI) / 180
  const cos = Math.cos(a) / scale
  const sin = Math.sin(a) / scale
  const { width: sw, height: sh, gray: src } = image
  const out = new Uint8Array(width * height)
  const hw = width / 2
  const hh = height / 2
  for (let v = 0; v < height; v++) {
    const dv = v - hh
    // Output x runs along the rows (direction of the gradient), y along the bars. Within a row
    // the source position moves linearly: du = (u - hw)(1 + dv·m1/width) + dv·m0 (the bend),
    // dvs = dv + (u - hw)·shear.
    const duStep = 1 + (dv * bend.m1) / width
    const du0 = -hw * duStep + dv * bend.m0
    const dvs0 = dv - hw * shear
    let sx = cx + du0 * cos - dvs0 * sin
    let sy = cy + du0 * sin + dvs0 * cos
    const stepX = duStep * cos - shear * sin
    const stepY = duStep * sin + shear * cos
    let o = v * width
    for (let u = 0; u < width; u++, o++, sx += stepX, sy += stepY) {
      if (cubic && sx >= 1 && sy >= 1 && sx < sw - 2 && sy < sh - 2) {
        out[o] = catmullRom(src, sw, sx, sy)
      } else if (sx >= 0 && sy >= 0 && sx < sw - 1 && sy < sh - 1) {
        const x0 = sx | 0
        const y0 = sy | 0
        const fx = sx - x0
        const fy = sy - y0
        const i = y0 * sw + x0
        const p = src[i] ?? 0
        const q = src[i + 1] ?? 0
        const r = src[i + sw] ?? 0
        const t = src[i + sw + 1] ?? 0
        out[o] = p + (q - p) * fx + (r - p) * fy + (p - q - r + t) * fx * fy
      } else {
        out[o] = 255
      }
    }
  }
  return { width, height, gray: out }
}

/** Bicubic (Catmull-Rom) sample: keeps enlarged bars sharper than bilinear, clamped to 0…255. */
function catmullRom(src: Uint8Array, sw: number, sx: number, sy: number): number {
  const x0 = sx | 0
  const y0 = sy | 0
  const tx = sx - x0
  const ty = sy - y0
  const tx2 = tx * tx
  const tx3 = tx2 * tx
  const ty2 = ty * ty
  const ty3 = ty2 * ty
  const wx0 = 0.5 * (-tx3 + 2 * tx2 - tx)
  const wx1 = 0.5 * (3 * tx3 - 5 * tx2 + 2)
  const wx2 = 0.5 * (-3 * tx3 + 4 * tx2 + tx)
  const wx3 = 0.5 * (tx3 - tx2)
  const wy0 = 0.5 * (-ty3 + 2 * ty2 - ty)
  const wy1 = 0.5 * (3 * ty3 - 5 * ty2 + 2)
  const wy2 = 0.5 * (-3 * ty3 + 4 * ty2 + ty)
  const wy3 = 0.5 * (ty3 - ty2)
  let row = (y0 - 1) * sw + x0 - 1
  let sum = 0
  for (let j = 0; j < 4; j++, row += sw) {
    const wy = j === 0 ? wy0 : j === 1 ? wy1 : j === 2 ? wy2 : wy3
    sum +=
      wy *
      ((src[row] ?? 0) * wx0 +
        (src[row + 1] ?? 0) * wx1 +
        (src[row + 2] ?? 0) * wx2 +
        (src[row + 3] ?? 0) * wx3)
  }
  return sum < 0 ? 0 : sum > 255 ? 255 : sum
}

/**
 * The slope (degrees) of the rows of an upright symbol: the row boundaries and the symbol's top
 * and bottom edges give the sharpest row profile along it.
 */
function rowSlope(r: GrayImage): number {
  // Lines run along x; sample every few columns, every row.
  const step = Math.max(1, Math.round(r.width / 160))
  const lines: Uint8Array[] = []
  for (let x = 0; x < r.width; x += step) {
    const column = new Uint8Array(r.height)
    for (let y = 0; y < r.height; y++) column[y] = r.gray[y * r.width + x] ?? 0
    lines.push(column)
  }
  return sharpestShear(lines, r.height, step, 6)
}

/**
 * The small tilt (degrees, to add to the rotation) left in a nearly upright barcode: the start
 * and stop patterns repeat in every row, so the column profile is sharpest when bars are vertical.
 */
function residualTilt(r: GrayImage): number {
  // Lines run along y; sample every few rows, columns thinned to about 500.
  const xStep = Math.max(1, Math.round(r.width / 500))
  const yStep = Math.max(1, Math.round(r.height / 80))
  const width = Math.floor(r.width / xStep)
  const lines: Uint8Array[] = []
  for (let y = 0; y < r.height; y += yStep) {
    const row = new Uint8Array(width)
    for (let x = 0; x < width; x++) row[x] = r.gray[y * r.width + x * xStep] ?? 0
    lines.push(row)
  }
  return -sharpestShear(lines, width, yStep / xStep, 6)
}

/**
 * Given parallel lines of samples (spaced `spacing` samples apart), the shear angle in degrees
 * (within ±range) whose summed profile has the most edge energy; coarse then fine search.
 */
function sharpestShear(
  lines: Uint8Array[],
  length: number,
  spacing: number,
  range: number,
): number {
  const profile = new Float64Array(length)
  const count = new Float64Array(length)
  const score = (deg: number): number => {
    profile.fill(0)
    count.fill(0)
    const t = Math.tan((deg * Math.PI) / 180) * spacing
    for (let k = 0; k < lines.length; k++) {
      const line = lines[k] ?? new Uint8Array(0)
      const offset = Math.round(k * t)
      const from = Math.max(0, -offset)
      const to = Math.min(length, length - offset)
      for (let i = from; i < to; i++) {
        profile[i] = (profile[i] ?? 0) + (line[i + offset] ?? 0)
        count[i] = (count[i] ?? 0) + 1
      }
    }
    let sum = 0
    let prev = -1
    for (let i = 0; i < length; i++) {
      const c = count[i] ?? 0
      if (c < lines.length / 2) continue
      const v = (profile[i] ?? 0) / c
      if (prev >= 0) sum += (v - prev) * (v - prev)
      prev = v
    }
    return sum
  }
  let best = 0
  let bestScore = score(0)
  for (let deg = -range; deg <= range + 1e-9; deg += 1) {
    const v = score(deg)
    if (v > bestScore) {
      bestScore = v
      best = deg
    }
  }
  const coarse = best
  for (let deg = coarse - 0.75; deg <= coarse + 0.75 + 1e-9; deg += 0.25) {
    const v = score(deg)
    if (v > bestScore) {
      bestScore = v
      best = deg
    }
  }
  return best
}
