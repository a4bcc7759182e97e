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
import type { GrayImage } from '../image.ts'
import { locateCandidates } from './pdf417-locate.ts'
import { hasGuardBar, moduleWidth, uprightCrop } from './pdf417-upright.ts'

export type Pdf417Read =
  | {
      ok: true
      bytes: Uint8Array
      strategy: string
      attempts: number
      /** Module width in the image given (px), when read from a located region. */
      moduleSizePx?: number
    }
  | {
      ok: false
      fail: 'BARCODE_NOT_FOUND' | 'BARCODE_UNREADABLE'
      attempts: number
      /** Module width (px) of the strongest barcode-like region, when measurable. */
      moduleSizePx?: number
      /**
       * Whether that region's rows show a PDF417's start or stop bar in line (`hasGuardBar`);
       * absent when its modules could not be measured.
       */
      guardBar?: boolean
    }

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

/** Strength (pdf417-locate.ts) above which a region is a barcode-like pattern. */
const STRONG = 0.5

/** Working size for the whole-image attempt and for analysis. */
const WHOLE_SIDE = 1600
const ANALYSIS_SIDE = 1000

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

  /** The first strong region upright (what a failure is put down to). */
  let strongUpright: (GrayImage & { scale: number }) | undefined
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
    // Only a candidate strong enough to be reported as a barcode-like pattern (below) gets every
    // variant; weaker ones (a card edge, a line of print, a passport's guilloche) get one try, or
    // none: a photo without a barcode fails fast. The symbols the evaluation decodes in a region
    // score 0.68–1 (every real one 1); a weak region of a 512-px passport photo took 1.3 s of
    // variants (enlarged 2.7×, then evened out) before this.
    const tries = c.strength > STRONG ? variants : c.strength >= 0.1 ? variants.slice(0, 1) : []
    if (overBudget() || tries.length === 0) continue
    const upright = uprightCrop(image, c)
    const module = moduleOf(upright)
    if (c.strength > STRONG) strongUpright ??= upright
    for (const [name, make, readerOptions] of tries) {
      if (overBudget()) break
      const found = await tryRaster(await make(upright), `region-${name}`, readerOptions)
      if (found !== null) return module === undefined ? found : { ...found, moduleSizePx: module }
    }
  }
  if (!wholeTried && !overBudget()) {
    const found = await tryRaster(await resize(image, WHOLE_SIDE), 'whole')
    if (found !== null) return found
  }
  const strong = candidates.find((c) => c.strength > STRONG)
  if (strong === undefined) return { ok: false, fail: 'BARCODE_NOT_FOUND', attempts }
  const upright = strongUpright ?? uprightCrop(image, strong)
  const width = moduleWidth(upright)
  return {
    ok: false,
    fail: 'BARCODE_UNREADABLE',
    attempts,
    ...(width !== null && {
      moduleSizePx: moduleOf(upright, width),
      guardBar: hasGuardBar(upright, width),
    }),
  }
}

/** Module width of an upright crop in the pixels of the image it was cut from, rounded to 0.1. */
function moduleOf(
  upright: GrayImage & { scale: number },
  w = moduleWidth(upright),
): number | undefined {
  return w === null ? undefined : Math.round((w / upright.scale) * 10) / 10
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
