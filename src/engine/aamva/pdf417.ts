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
  /** Stop trying new strategies after this many milliseconds (default 900). */
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
const ANALYSIS_SIDE = 720
const BLOCK = 12
/** Length (px) an upright symbol is enlarged to when its modules are fine. */
const UPRIGHT_SYMBOL_PX = 1300

/** Decodes the PDF417 in a grayscale image, trying the strategies a phone photo needs. */
export async function readPdf417(
  image: GrayImage,
  options: Pdf417Options = {},
): Promise<Pdf417Read> {
  await ensureZxing()
  const started = performance.now()
  const budget = options.budgetMs ?? 900
  const accept = options.accept ?? (() => true)
  let attempts = 0
  const overBudget = (): boolean => performance.now() - started > budget

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

  // 3. Each region upright, cropped and enlarged; then sharpened; then evened out (glare, dim
  // light) with a global threshold.
  for (const c of candidates) {
    if (overBudget()) break
    const upright = uprightCrop(image, c)
    // The crop is upright (or upside down, which the PDF417 detector reads as well).
    const sized: ReaderOptions = { tryRotate: false, tryDownscale: false }
    const found =
      (await tryRaster(upright, `region@${c.angle.toFixed(0)}`, sized)) ??
      (overBudget()
        ? null
        : await tryRaster(await sharpened(upright), 'region-sharpened', sized)) ??
      (overBudget() ? null : await tryRaster(await evenOut(upright), 'region-clahe', sized)) ??
      (overBudget()
        ? null
        : await tryRaster(await sharpened(upright, 3), 'region-sharpened-more', sized)) ??
      (overBudget()
        ? null
        : await tryRaster(await enlarge(upright), 'region-enlarged', {
            ...sized,
            binarizer: 'GlobalHistogram',
          }))
    if (found !== null) return found
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
export function uprightCrop(image: GrayImage, c: Candidate): GrayImage {
  // Generous at first: the block mask may hold only part of the symbol (a blurred half).
  const margin = marginOf(c)
  let along = c.along * 1.8 + 2 * margin
  let across = c.across * 1.3 + 2 * margin
  let scale = Math.min(3, Math.max(UPRIGHT_SYMBOL_PX / along, Math.min(1, 1800 / along)))
  const first = sampleRotated(image, c.cx, c.cy, c.angle, along, across, scale)
  // The block estimate is a degree or two off on fine modules: refine it on the upright crop.
  const angle = c.angle - residualTilt(first)
  // The block mask may hold the card's edges or print next to the symbol: keep the span of
  // rows and columns that is busy with bars, then sample again at the scale that symbol needs.
  const box = busySpan(first)
  let { cx, cy } = c
  if (box !== null) {
    const a = (c.angle * Math.PI) / 180
    const du = ((box.u0 + box.u1) / 2 - first.width / 2) / scale
    const dv = ((box.v0 + box.v1) / 2 - first.height / 2) / scale
    cx += du * Math.cos(a) - dv * Math.sin(a)
    cy += du * Math.sin(a) + dv * Math.cos(a)
    const symbolAlong = (box.u1 - box.u0) / scale
    along = symbolAlong + 2 * Math.max(6, symbolAlong * 0.04)
    across = (box.v1 - box.v0) / scale + 2 * Math.max(6, symbolAlong * 0.04)
    scale = Math.min(3, Math.max(UPRIGHT_SYMBOL_PX / along, Math.min(1, 1800 / along)))
  }
  return sampleRotated(image, cx, cy, angle, along, across, scale)
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
): GrayImage {
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
    for (let u = 0; u < width; u++) {
      const du = u - hw
      // Output x runs along the rows (direction of the gradient), y along the bars.
      const sx = cx + du * cos - dv * sin
      const sy = cy + du * sin + dv * cos
      let value = 255
      if (sx >= 0 && sy >= 0 && sx < sw - 1 && sy < sh - 1) {
        const x0 = Math.floor(sx)
        const y0 = Math.floor(sy)
        const fx = sx - x0
        const fy = sy - y0
        const i = y0 * sw + x0
        const p = src[i] ?? 0
        const q = src[i + 1] ?? 0
        const r = src[i + sw] ?? 0
        const t = src[i + sw + 1] ?? 0
        value = p + (q - p) * fx + (r - p) * fy + (p - q - r + t) * fx * fy
      }
      out[v * width + u] = value
    }
  }
  return { width, height, gray: out }
}

/**
 * The small tilt (degrees, to add to the rotation) left in a nearly upright barcode: the start
 * and stop patterns repeat in every row, so the column profile is sharpest when bars are vertical.
 */
export function residualTilt(r: GrayImage): number {
  const step = Math.max(1, Math.round(r.width / 500))
  const w = Math.floor(r.width / step)
  let best = 0
  let bestScore = -1
  for (let deg = -3.5; deg <= 3.501; deg += 0.25) {
    const t = Math.tan((deg * Math.PI) / 180)
    const profile = new Float64Array(w)
    const count = new Float64Array(w)
    for (let y = 0; y < r.height; y += 2 * step) {
      const shift = y * t
      for (let x = 0; x < w; x++) {
        const sx = Math.round(x * step + shift)
        if (sx < 0 || sx >= r.width) continue
        profile[x] = (profile[x] ?? 0) + (r.gray[y * r.width + sx] ?? 0)
        count[x] = (count[x] ?? 0) + 1
      }
    }
    let score = 0
    for (let x = 1; x < w; x++) {
      const a = (profile[x] ?? 0) / Math.max(1, count[x] ?? 0)
      const b = (profile[x - 1] ?? 0) / Math.max(1, count[x - 1] ?? 0)
      score += (a - b) * (a - b)
    }
    if (score > bestScore) {
      bestScore = score
      best = deg
    }
  }
  return best
}

/**
 * Finds regions whose gradients are strong and parallel (PDF417 bars), by structure tensor over
 * blocks of the analysis raster, and returns them strongest first, in source coordinates.
 */
export function locateCandidates(small: GrayImage, source: GrayImage): Candidate[] {
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
    if (e > 0.15 * high && coh > 0.55) {
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
    for (const comp of components(member, bw, bh).slice(0, 2)) {
      if (comp.blocks < 6) continue
      // The angle from the summed tensor of the region's blocks: finer than the histogram bin.
      let sxx = 0
      let syy = 0
      let sxy = 0
      for (const i of comp.members) {
        sxx += jxx[i] ?? 0
        syy += jyy[i] ?? 0
        sxy += jxy[i] ?? 0
      }
      const angle = (0.5 * Math.atan2(2 * sxy, sxx - syy) * 180) / Math.PI
      // Extent of the blocks along the rows and along the bars, in source pixels.
      const a = (angle * Math.PI) / 180
      let sMin = Infinity
      let sMax = -Infinity
      let tMin = Infinity
      let tMax = -Infinity
      for (const i of comp.members) {
        const x = ((i % bw) + 0.5) * BLOCK * scaleX
        const y = (Math.floor(i / bw) + 0.5) * BLOCK * scaleY
        const s = x * Math.cos(a) + y * Math.sin(a)
        const t = -x * Math.sin(a) + y * Math.cos(a)
        sMin = Math.min(sMin, s)
        sMax = Math.max(sMax, s)
        tMin = Math.min(tMin, t)
        tMax = Math.max(tMax, t)
      }
      const sMid = (sMin + sMax) / 2
      const tMid = (tMin + tMax) / 2
      candidates.push({
        angle,
        cx: sMid * Math.cos(a) - tMid * Math.sin(a),
        cy: sMid * Math.sin(a) + tMid * Math.cos(a),
        along: sMax - sMin + BLOCK * scaleX,
        across: tMax - tMin + BLOCK * scaleY,
        strength: Math.min(1, comp.blocks / 40),
      })
    }
  }
  return candidates.sort((a, b) => b.strength - a.strength).slice(0, 3)
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

interface Component {
  blocks: number
  members: number[]
  x0: number
  y0: number
  x1: number
  y1: number
}

/** Components of a block mask, largest first; gaps of one block are bridged. */
function components(mask: Uint8Array, bw: number, bh: number): Component[] {
  const seen = new Uint8Array(bw * bh)
  const found: Component[] = []
  for (let start = 0; start < bw * bh; start++) {
    if (mask[start] !== 1 || seen[start] === 1) continue
    const comp: Component = { blocks: 0, members: [], x0: bw, y0: bh, x1: 0, y1: 0 }
    const stack = [start]
    seen[start] = 1
    while (stack.length > 0) {
      const i = stack.pop() ?? 0
      const x = i % bw
      const y = Math.floor(i / bw)
      comp.blocks += 1
      comp.members.push(i)
      comp.x0 = Math.min(comp.x0, x)
      comp.y0 = Math.min(comp.y0, y)
      comp.x1 = Math.max(comp.x1, x)
      comp.y1 = Math.max(comp.y1, y)
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          const nx = x + dx
          const ny = y + dy
          if (nx < 0 || ny < 0 || nx >= bw || ny >= bh) continue
          const j = ny * bw + nx
          if (mask[j] === 1 && seen[j] !== 1) {
            seen[j] = 1
            stack.push(j)
          }
        }
      }
    }
    found.push(comp)
  }
  return found.sort((a, b) => b.blocks - a.blocks)
}
