// Finds and decodes the PDF417 on the back of a licence in a phone photo. ZXing (zxing-wasm)
// decodes symbols that are roughly axis-aligned; a photo is rarely that, so before asking it we
// locate the symbol ourselves (blocks of strong, parallel gradients: the bars), turn it upright
// by the angle the gradients give (any angle, not only 90° steps), crop it, enlarge it when the
// modules are small, and even out glare and low light. Attempts are budgeted so that an image
// without a barcode fails fast.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import sharp, { type Sharp } from 'sharp'
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader'
import type { ReaderOptions } from 'zxing-wasm/reader'

/** An 8-bit grayscale raster, row-major (the shape `decodeDocumentImage` returns). */
export interface GrayImage {
  width: number
  height: number
  gray: Uint8Array
}

export type Pdf417Read =
  | { ok: true; bytes: Uint8Array; strategy: string; attempts: number }
  | { ok: false; fail: 'BARCODE_NOT_FOUND' | 'BARCODE_UNREADABLE'; attempts: number }

export interface Pdf417Options {
  /** Decode attempts at most (default 8). The budget is counted in attempts, not time, so a
   * busy machine reads the same images as an idle one. */
  maxAttempts?: number
  /** Safety net: no new attempt after this many milliseconds (default 2500). */
  budgetMs?: number
  /** Accept a decoded symbol only when this says so (e.g. it holds an AAMVA header). */
  accept?: (bytes: Uint8Array) => boolean
  /** Called after each decode attempt (for evaluation and debugging). */
  trace?: (strategy: string, ms: number, decoded: boolean) => void
}

// The only global: the wasm module, compiled on first use from the file in node_modules (its
// default would fetch it from a CDN, and nothing may download at run time).
let zxingReady: Promise<void> | null = null

function ensureZxing(): Promise<void> {
  zxingReady ??= (async () => {
    const require = createRequire(import.meta.url)
    const wasm = await readFile(require.resolve('zxing-wasm/reader/zxing_reader.wasm'))
    const wasmBinary = wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength)
    await prepareZXingModule({ overrides: { wasmBinary }, fireImmediately: true })
  })().catch((err: unknown) => {
    zxingReady = null
    throw err
  })
  return zxingReady
}

const READER: ReaderOptions = {
  formats: ['PDF417'],
  textMode: 'Plain',
  maxNumberOfSymbols: 1,
  tryHarder: true,
  tryRotate: true,
  tryInvert: false,
  tryDownscale: true,
}

/** Working size for the whole-image attempt and for analysis. */
const WHOLE_SIDE = 1600
const ANALYSIS_SIDE = 1000
const BLOCK = 12
/** Length (px) an upright symbol is enlarged to when its modules are fine. */
const UPRIGHT_SYMBOL_PX = 1150

/** Decodes the PDF417 in a grayscale image, trying the strategies a phone photo needs. */
export async function readPdf417(
  image: GrayImage,
  options: Pdf417Options = {},
): Promise<Pdf417Read> {
  await ensureZxing()
  const started = performance.now()
  const budget = options.budgetMs ?? 2500
  const maxAttempts = options.maxAttempts ?? 8
  const accept = options.accept ?? (() => true)
  let attempts = 0
  const overBudget = (): boolean => attempts >= maxAttempts || performance.now() - started > budget

  const tryRaster = async (r: GrayImage, strategy: string, extra: ReaderOptions = {}) => {
    attempts += 1
    const t0 = performance.now()
    const bytes = await decodeRaster(r, extra)
    options.trace?.(strategy, performance.now() - t0, bytes !== null)
    return bytes !== null && accept(bytes) ? { ok: true as const, bytes, strategy, attempts } : null
  }

  // 1. Locate bar-like regions (blocks of strong, parallel gradients) on a small copy.
  const candidates = locateCandidates(await resize(image, ANALYSIS_SIDE), image)
  const best = candidates[0]

  // 2. The whole image as it is, when nothing says it is tilted: clean scans, square shots.
  let wholeTried = false
  if (best === undefined || Math.abs(best.angle) < 3) {
    wholeTried = true
    const found = await tryRaster(await resize(image, WHOLE_SIDE), 'whole')
    if (found !== null) return found
  }

  // 3. Each region upright, cropped and enlarged, then read as it is and in the variants
  // that help: sharpened (focus blur, enlargement), evened out (glare, dim light), and a global
  // threshold. The crop is upright or upside down, which the PDF417 detector reads as well.
  const sized: ReaderOptions = { tryRotate: false, tryDownscale: false }
  const variants: [string, (u: GrayImage) => Promise<GrayImage>, ReaderOptions][] = [
    ['sharpened', (u) => sharpened(u), sized],
    ['plain', (u) => Promise.resolve(u), sized],
    ['clahe', evenOut, sized],
    ['sharpened-more', (u) => sharpened(u, 3), sized],
    ['enlarged-global', enlarge, { ...sized, binarizer: 'GlobalHistogram' }],
  ]
  for (const c of candidates) {
    // Weak candidates (a card edge, a line of print) get one try, or none: a photo without a
    // barcode fails fast. Every symbol in the evaluation scores 1.
    const tries = c.strength >= 0.3 ? variants : c.strength >= 0.1 ? variants.slice(0, 1) : []
    if (overBudget() || tries.length === 0) continue
    const upright = uprightCrop(image, c)
    for (const [name, make, readerOptions] of tries) {
      if (overBudget()) break
      const found = await tryRaster(await make(upright), `region-${name}`, readerOptions)
      if (found !== null) return found
    }
  }
  if (!wholeTried && !overBudget()) {
    const found = await tryRaster(await resize(image, WHOLE_SIDE), 'whole')
    if (found !== null) return found
  }
  return {
    ok: false,
    fail: candidates.some((c) => c.strength > 0.5) ? 'BARCODE_UNREADABLE' : 'BARCODE_NOT_FOUND',
    attempts,
  }
}

async function decodeRaster(r: GrayImage, extra: ReaderOptions): Promise<Uint8Array | null> {
  const rgba = new Uint8ClampedArray(r.width * r.height * 4)
  for (let i = 0, j = 0; i < r.gray.length; i++, j += 4) {
    const v = r.gray[i] ?? 0
    rgba[j] = v
    rgba[j + 1] = v
    rgba[j + 2] = v
    rgba[j + 3] = 255
  }
  // zxing-wasm takes anything shaped like ImageData; Node has no ImageData class.
  const results = await readBarcodes(
    { data: rgba, width: r.width, height: r.height, colorSpace: 'srgb' },
    { ...READER, ...extra },
  )
  const hit = results.find((x) => x.isValid && x.bytes.length > 0)
  return hit === undefined ? null : hit.bytes
}

function fromSharp(data: Buffer, width: number, height: number): GrayImage {
  return { width, height, gray: new Uint8Array(data.buffer, data.byteOffset, data.length) }
}

// Raw single-channel input comes back as three channels unless asked for grey again.
function toSharp(r: GrayImage): Sharp {
  return sharp(r.gray, { raw: { width: r.width, height: r.height, channels: 1 } })
}

async function resize(r: GrayImage, side: number): Promise<GrayImage> {
  if (Math.max(r.width, r.height) <= side) return r
  const { data, info } = await toSharp(r)
    .resize({ width: side, height: side, fit: 'inside', kernel: 'lanczos3' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true })
  return fromSharp(data, info.width, info.height)
}

async function enlarge(r: GrayImage): Promise<GrayImage> {
  const factor = Math.min(3, Math.max(1.5, 1800 / Math.max(r.width, r.height)))
  const { data, info } = await toSharp(r)
    .resize(Math.round(r.width * factor), Math.round(r.height * factor), { kernel: 'lanczos3' })
    .sharpen({ sigma: 1 })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true })
  return fromSharp(data, info.width, info.height)
}

/** An unsharp mask against focus blur and the softening of enlargement. */
async function sharpened(r: GrayImage, sigma = 2): Promise<GrayImage> {
  const { data, info } = await toSharp(r)
    .sharpen({ sigma, m1: 2, m2: sigma * 3 })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true })
  return fromSharp(data, info.width, info.height)
}

/** Local contrast equalisation (CLAHE) against glare and low light, then a light sharpen. */
async function evenOut(r: GrayImage): Promise<GrayImage> {
  const tile = Math.max(8, Math.min(48, Math.round(Math.min(r.width, r.height) / 6)))
  const { data, info } = await toSharp(r)
    .clahe({ width: tile, height: tile, maxSlope: 3 })
    .sharpen({ sigma: 2, m1: 2, m2: 6 })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true })
  return fromSharp(data, info.width, info.height)
}

interface Candidate {
  /** Gradient direction across the bars, degrees in (-90, 90]: 0 means bars are vertical. */
  angle: number
  /** Centre, in source pixels. */
  cx: number
  cy: number
  /** Extent along the rows (across the bars) and along the bars, source pixels. */
  along: number
  across: number
  /** 0…1: how bar-like the region is. */
  strength: number
}

/**
 * Samples the candidate's region upright (bars vertical) straight from the source, enlarged so
 * that modules are about three pixels wide: rotation, crop and scale in one bilinear pass.
 */
function uprightCrop(image: GrayImage, c: Candidate): GrayImage {
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
  return sampleRotated(image, cx, cy, angle, along, across, scale, {
    shear: Math.abs(slope) < 0.5 ? 0 : Math.tan((slope * Math.PI) / 180),
    bend: bent ? { m0: (left + right) / 2, m1: (right - left) / 0.65 } : undefined,
    cubic: true,
  })
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

/** The run (bridging gaps up to `gap`) of values above `share` × max with the largest sum. */
function largestRun(values: Float64Array, share: number, gap: number): [number, number] | null {
  const max = Math.max(...values)
  if (!(max > 0)) return null
  const threshold = share * max
  let best: [number, number] | null = null
  let bestSum = 0
  let start = -1
  let lastAbove = -1
  let sum = 0
  for (let i = 0; i <= values.length; i++) {
    const above = i < values.length && (values[i] ?? 0) >= threshold
    if (above) {
      if (start < 0 || i - lastAbove > gap + 1) {
        start = i
        sum = 0
      }
      lastAbove = i
      sum += values[i] ?? 0
    }
    if (start >= 0 && (i === values.length || (!above && i - lastAbove > gap))) {
      if (sum > bestSum) {
        bestSum = sum
        best = [start, lastAbove]
      }
      start = -1
    }
  }
  return best
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

/**
 * Finds regions whose gradients are strong and parallel (PDF417 bars), by structure tensor over
 * blocks of the analysis raster, and returns them strongest first, in source coordinates.
 */
function locateCandidates(small: GrayImage, source: GrayImage): Candidate[] {
  const { width: w, height: h, gray } = small
  const bw = Math.floor(w / BLOCK)
  const bh = Math.floor(h / BLOCK)
  if (bw < 3 || bh < 3) return []
  const jxx = new Float64Array(bw * bh)
  const jyy = new Float64Array(bw * bh)
  const jxy = new Float64Array(bw * bh)
  for (let y = 1; y < bh * BLOCK - 1 && y < h - 1; y++) {
    const by = Math.floor(y / BLOCK)
    for (let x = 1; x < bw * BLOCK - 1 && x < w - 1; x++) {
      const i = y * w + x
      const a = gray[i - w - 1] ?? 0
      const b = gray[i - w] ?? 0
      const c = gray[i - w + 1] ?? 0
      const d = gray[i - 1] ?? 0
      const f = gray[i + 1] ?? 0
      const g = gray[i + w - 1] ?? 0
      const hh = gray[i + w] ?? 0
      const k = gray[i + w + 1] ?? 0
      const gx = c + 2 * f + k - a - 2 * d - g
      const gy = g + 2 * hh + k - a - 2 * b - c
      const bi = by * bw + Math.floor(x / BLOCK)
      jxx[bi] = (jxx[bi] ?? 0) + gx * gx
      jyy[bi] = (jyy[bi] ?? 0) + gy * gy
      jxy[bi] = (jxy[bi] ?? 0) + gx * gy
    }
  }
  const energy = new Float64Array(bw * bh)
  const coherence = new Float64Array(bw * bh)
  const orientation = new Float64Array(bw * bh)
  for (let i = 0; i < bw * bh; i++) {
    const xx = jxx[i] ?? 0
    const yy = jyy[i] ?? 0
    const xy = jxy[i] ?? 0
    const e = xx + yy
    energy[i] = e
    coherence[i] = e > 0 ? Math.sqrt((xx - yy) ** 2 + 4 * xy * xy) / e : 0
    orientation[i] = (0.5 * Math.atan2(2 * xy, xx - yy) * 180) / Math.PI
  }
  const sorted = [...energy].sort((a, b) => a - b)
  const high = sorted[Math.floor(sorted.length * 0.97)] ?? 0
  if (high <= 0) return []
  const isBar = new Uint8Array(bw * bh)
  // Dominant bar angle: histogram of orientations over strong, coherent blocks.
  const hist = new Float64Array(180)
  for (let i = 0; i < bw * bh; i++) {
    const e = energy[i] ?? 0
    const coh = coherence[i] ?? 0
    if (e > 0.05 * high && coh > 0.55) {
      isBar[i] = 1
      const bin = (Math.round(orientation[i] ?? 0) + 180) % 180
      hist[bin] = (hist[bin] ?? 0) + Math.sqrt(e) * coh
    }
  }
  const peaks = histogramPeaks(hist, 2)
  const candidates: Candidate[] = []
  const scaleX = source.width / w
  const scaleY = source.height / h
  for (const peak of peaks) {
    const member = new Uint8Array(bw * bh)
    for (let i = 0; i < bw * bh; i++) {
      if (isBar[i] === 1 && angleGap(orientation[i] ?? 0, peak) < 14) member[i] = 1
    }
    const members: number[] = []
    for (let i = 0; i < bw * bh; i++) if (member[i] === 1) members.push(i)
    if (members.length < 6) continue
    // The angle from the summed tensor of the blocks: finer than the histogram bin.
    let sxx = 0
    let syy = 0
    let sxy = 0
    for (const i of members) {
      sxx += jxx[i] ?? 0
      syy += jyy[i] ?? 0
      sxy += jxy[i] ?? 0
    }
    const angle = (0.5 * Math.atan2(2 * sxy, sxx - syy) * 180) / Math.PI
    const a = (angle * Math.PI) / 180
    // Project the blocks on the rows (s) and along the bars (t), in analysis pixels. The symbol
    // is the densest run of both projections; card edges and print add thin, sparse runs.
    const origin = Math.hypot(w, h)
    const bins = Math.ceil((2 * origin) / BLOCK) + 1
    const sOf = (i: number): number =>
      ((i % bw) + 0.5) * BLOCK * Math.cos(a) + (Math.floor(i / bw) + 0.5) * BLOCK * Math.sin(a)
    const tOf = (i: number): number =>
      -((i % bw) + 0.5) * BLOCK * Math.sin(a) + (Math.floor(i / bw) + 0.5) * BLOCK * Math.cos(a)
    const bin = (v: number): number =>
      Math.max(0, Math.min(bins - 1, Math.floor((v + origin) / BLOCK)))
    const tHist = new Float64Array(bins)
    for (const i of members) tHist[bin(tOf(i))] = (tHist[bin(tOf(i))] ?? 0) + 1
    const tRun = largestRun(tHist, 0.3, 1)
    if (tRun === null) continue
    const inRows = members.filter((i) => bin(tOf(i)) >= tRun[0] && bin(tOf(i)) <= tRun[1])
    const sHist = new Float64Array(bins)
    for (const i of inRows) sHist[bin(sOf(i))] = (sHist[bin(sOf(i))] ?? 0) + 1
    const sRun = largestRun(sHist, 0.25, 2)
    if (sRun === null) continue
    const inBox = inRows.filter((i) => bin(sOf(i)) >= sRun[0] && bin(sOf(i)) <= sRun[1]).length
    if (inBox < 6) continue
    const sMid = ((sRun[0] + sRun[1] + 1) / 2) * BLOCK - origin
    const tMid = ((tRun[0] + tRun[1] + 1) / 2) * BLOCK - origin
    const along = (sRun[1] - sRun[0] + 1) * BLOCK
    const across = (tRun[1] - tRun[0] + 1) * BLOCK
    candidates.push({
      angle,
      cx: (sMid * Math.cos(a) - tMid * Math.sin(a)) * scaleX,
      cy: (sMid * Math.sin(a) + tMid * Math.cos(a)) * scaleY,
      along: along * scaleX,
      across: across * scaleY,
      // A symbol is wider (across its bars) than its bars are long; a card edge is not.
      strength: Math.min(1, inBox / 40) * Math.min(1, along / across),
    })
  }
  return candidates.sort((a, b) => b.strength - a.strength).slice(0, 2)
}

function angleGap(a: number, b: number): number {
  const d = Math.abs((((a - b) % 180) + 180) % 180)
  return Math.min(d, 180 - d)
}

/** The highest peaks of a circular 180-bin histogram (smoothed), at least 20° apart. */
function histogramPeaks(hist: Float64Array, count: number): number[] {
  const smooth = new Float64Array(180)
  for (let i = 0; i < 180; i++) {
    let s = 0
    for (let k = -3; k <= 3; k++) s += (hist[(i + k + 180) % 180] ?? 0) * (4 - Math.abs(k))
    smooth[i] = s
  }
  const peaks: number[] = []
  const max = Math.max(...smooth)
  if (max <= 0) return peaks
  const order = [...smooth.keys()].sort((a, b) => (smooth[b] ?? 0) - (smooth[a] ?? 0))
  for (const i of order) {
    if ((smooth[i] ?? 0) < 0.35 * max) break
    if (peaks.every((p) => angleGap(p, i) >= 20)) peaks.push(i)
    if (peaks.length >= count) break
  }
  // Refine each peak to sub-degree precision by the weighted mean around it.
  return peaks.map((p) => {
    let sw = 0
    let sa = 0
    for (let k = -4; k <= 4; k++) {
      const v = hist[(p + k + 180) % 180] ?? 0
      sw += v
      sa += v * (p + k)
    }
    return sw > 0 ? (((sa / sw) % 180) + 180) % 180 : p
  })
}
