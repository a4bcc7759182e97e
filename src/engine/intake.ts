// Image intake for every document reader (MRZ, AAMVA barcode, faces): sniff the format from the
// bytes, refuse oversized files and decompression bombs before decoding, decode with EXIF
// orientation applied, and hand back an 8-bit grayscale raster (document readers) or an RGB one
// (face readers).

import sharp, { type Metadata } from 'sharp'
import type * as MupdfModule from 'mupdf'
import type { EngineError, QualityIssue } from './types.ts'
import type { GrayImage } from './image.ts'
import { bmpHeader, decodeBmp, isBmp } from './bmp.ts'

/**
 * What intake reads. BMP and TIFF are what desk scanners write; phones and browsers send JPEG,
 * PNG or WebP.
 */
export type DocumentFormat = 'jpeg' | 'png' | 'webp' | 'pdf' | 'bmp' | 'tiff'

export interface IntakeOptions {
  /** Largest accepted file, bytes (default 10 MB). */
  maxBytes?: number
  /**
   * Smallest accepted shorter and longer side after orientation, pixels (defaults 48 and 160):
   * only a floor against thumbnails and icons. Whether a document is big enough to read is
   * judged on what the readers find (the MRZ's letter height, the PDF417's module width), not on
   * the frame: a tight, sharp scan may be small, and an MRZ or a barcode cut out of a page is a
   * strip (two lines of 7-px letters, the readers' floor, stand under 48 px; no MRZ line or
   * licence barcode fits in under 160 px).
   */
  minSide?: number
  /** Smallest accepted longer side after orientation, pixels (default 160; see `minSide`). */
  minLongSide?: number
  /** Largest pixel count read from the header before decoding (default 64 megapixels). */
  maxPixels?: number
  /** Largest side read from the header before decoding (default 20 000 px). */
  maxDimension?: number
  /** Images are scaled down on decode so that their longer side is at most this (default 4096). */
  maxWorkingSide?: number
  /** Whether a PDF's first page is accepted (default true; a selfie is a photo, never a PDF). */
  acceptPdf?: boolean
}

/** A decoded image: row-major 8-bit luminance, width × height. */
export interface DocumentImage extends GrayImage {
  format: DocumentFormat
  /** Size before any scaling on decode (after orientation); for PDFs, the rendered size. */
  sourceWidth: number
  sourceHeight: number
}

/** A decoded image in colour: `rgb` is row-major interleaved 8-bit RGB, width × height × 3. */
export type ColorImage = Omit<DocumentImage, 'gray'> & { rgb: Uint8Array }

/** An image that cannot be read, and why. */
export type IntakeFailure = { ok: false; error: EngineError }
export type IntakeResult = { ok: true; image: DocumentImage } | IntakeFailure
export type ColorIntakeResult = { ok: true; image: ColorImage } | IntakeFailure

/** What a decode hands back: one plane of luminance, or interleaved RGB, in `pixels`. */
type Channels = 'gray' | 'rgb'
type Raster = Omit<DocumentImage, 'gray'> & { pixels: Uint8Array }
type RasterResult = { ok: true; image: Raster } | IntakeFailure

const MB = 1024 * 1024
const DEFAULTS = {
  maxBytes: 10 * MB,
  minSide: 48,
  minLongSide: 160,
  maxPixels: 64_000_000,
  maxDimension: 20_000,
  maxWorkingSide: 4096,
  acceptPdf: true,
}
/** PDF pages are rendered so that the longer side is about this many pixels. */
const PDF_RENDER_SIDE = 2400

const ACCEPTED =
  'Accepted formats: JPEG, PNG, WebP, a scan as BMP or TIFF, or a PDF (its first page is read).'

const fail = (
  code: EngineError['code'],
  message: string,
  quality?: QualityIssue[],
): IntakeFailure => ({
  ok: false,
  error: quality ? { code, message, quality } : { code, message },
})

const ascii = (b: Uint8Array, start: number, end: number): string =>
  String.fromCharCode(...b.subarray(start, end))

type Sniffed = DocumentFormat | 'heic' | 'unknown'

/** Format from the leading bytes (magic numbers), never from a file name or declared type. */
export function sniffFormat(b: Uint8Array): Sniffed {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg'
  if (b.length >= 8 && ascii(b, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png'
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'webp'
  if (isBmp(b)) return 'bmp'
  // TIFF 6.0 §2: byte order 'II' or 'MM', then 42 in that order.
  if (b.length >= 8 && (ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*')) return 'tiff'
  // ISO 32000-1 §7.5.2: the header may follow a few bytes of junk; look in the first KiB.
  if (ascii(b, 0, Math.min(b.length, 1024)).includes('%PDF-')) return 'pdf'
  // ISO/IEC 23008-12 (HEIF): an 'ftyp' box with a HEIC/HEIF brand.
  if (b.length >= 12 && ascii(b, 4, 8) === 'ftyp') {
    const brand = ascii(b, 8, 12)
    if (['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(brand))
      return 'heic'
  }
  return 'unknown'
}

interface HeaderSize {
  width: number
  height: number
}

/** Pixel size from a PNG IHDR or JPEG SOF header, read without decoding; null when absent. */
export function headerSize(b: Uint8Array, format: 'jpeg' | 'png'): HeaderSize | null {
  const u16 = (i: number): number => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0)
  const u32 = (i: number): number => u16(i) * 65536 + u16(i + 2)
  if (format === 'png') {
    // PNG spec §11.2.2: IHDR is the first chunk; width and height are 4-byte big-endian.
    if (b.length < 24 || ascii(b, 12, 16) !== 'IHDR') return null
    return { width: u32(16), height: u32(20) }
  }
  // ITU T.81 §B.2: walk the marker segments to the first SOFn (C0–CF except C4, C8, CC).
  let i = 2
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null
    const marker = b[i + 1] ?? 0
    if (marker === 0xff) {
      i++
      continue
    }
    const len = u16(i + 2)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { width: u16(i + 7), height: u16(i + 5) }
    }
    if (len < 2) return null
    i += 2 + len
  }
  return null
}

/** Decode a document image (JPEG, PNG, WebP, BMP, TIFF, or a PDF's first page) to grayscale, refusing bad input cleanly. */
export async function decodeDocumentImage(
  bytes: Uint8Array,
  opts: IntakeOptions = {},
): Promise<IntakeResult> {
  const decoded = await decodeImage(bytes, opts, 'gray')
  if (!decoded.ok) return decoded
  const { pixels, ...image } = decoded.image
  return { ok: true, image: { ...image, gray: pixels } }
}

/**
 * Decode an image to RGB with the same checks as `decodeDocumentImage`. Face readers use it:
 * they need colour, and a grey plane from libvips (a colour-space conversion in linear light)
 * would cost more than the decode itself.
 */
export async function decodeColorImage(
  bytes: Uint8Array,
  opts: IntakeOptions = {},
): Promise<ColorIntakeResult> {
  const decoded = await decodeImage(bytes, opts, 'rgb')
  if (!decoded.ok) return decoded
  const { pixels, ...image } = decoded.image
  return { ok: true, image: { ...image, rgb: pixels } }
}

async function decodeImage(
  bytes: Uint8Array,
  opts: IntakeOptions,
  channels: Channels,
): Promise<RasterResult> {
  const o = { ...DEFAULTS, ...opts }
  if (bytes.length === 0) return fail('DOCUMENT_INVALID_FORMAT', `The file is empty. ${ACCEPTED}`)
  if (bytes.length > o.maxBytes) {
    return fail(
      'DOCUMENT_TOO_LARGE',
      `The file is ${(bytes.length / MB).toFixed(1)} MB; the limit is ${(o.maxBytes / MB).toFixed(0)} MB.`,
    )
  }
  const format = sniffFormat(bytes)
  if (format === 'heic') {
    return fail(
      'DOCUMENT_INVALID_FORMAT',
      `HEIC/HEIF photos are not accepted. Take the photo as JPEG (on iPhone: Settings › Camera › Formats › Most Compatible) or convert it. ${ACCEPTED}`,
    )
  }
  if (format === 'unknown') {
    return fail('DOCUMENT_INVALID_FORMAT', `The file is not an image we can read. ${ACCEPTED}`)
  }
  if (format === 'pdf') {
    if (!o.acceptPdf) {
      return fail(
        'DOCUMENT_INVALID_FORMAT',
        'A PDF is not a photo: send a JPEG, PNG or WebP image.',
      )
    }
    return decodePdf(bytes, o, channels)
  }
  if (format === 'bmp') return decodeBmpRaster(bytes, o, channels)

  // Refuse bombs before any pixel is decoded: first our own header read, then libvips' limit.
  if (format === 'jpeg' || format === 'png') {
    const size = headerSize(bytes, format)
    if (!size) return fail('DOCUMENT_CORRUPT', `The ${format.toUpperCase()} header is damaged.`)
    const bomb = checkDimensions(size.width, size.height, o)
    if (bomb) return bomb
  }
  let meta: Metadata
  try {
    meta = await sharp(bytes, { limitInputPixels: o.maxPixels }).metadata()
  } catch {
    return fail(
      'DOCUMENT_CORRUPT',
      `The ${format.toUpperCase()} file is damaged and cannot be read.`,
    )
  }
  const bomb = checkDimensions(meta.width ?? 0, meta.height ?? 0, o)
  if (bomb) return bomb
  return decodeRaster(bytes, format, o, channels)
}

function checkDimensions(width: number, height: number, o: typeof DEFAULTS): IntakeFailure | null {
  if (width <= 0 || height <= 0) return fail('DOCUMENT_CORRUPT', 'The image has no pixels.')
  if (width > o.maxDimension || height > o.maxDimension || width * height > o.maxPixels) {
    return fail(
      'DOCUMENT_TOO_LARGE',
      `The image claims ${width}×${height} pixels; the limit is ${o.maxDimension} px a side and ${Math.round(o.maxPixels / 1e6)} megapixels.`,
    )
  }
  return null
}

/** A BMP, which sharp cannot open: its header checked, its pixels decoded here, then sharp's. */
function decodeBmpRaster(
  bytes: Uint8Array,
  o: typeof DEFAULTS & IntakeOptions,
  channels: Channels,
): Promise<RasterResult> | RasterResult {
  const header = bmpHeader(bytes)
  if (!header) return fail('DOCUMENT_CORRUPT', 'The BMP header is damaged.')
  const bomb = checkDimensions(header.width, header.height, o)
  if (bomb) return bomb
  const bmp = decodeBmp(bytes, header)
  if (!bmp.ok) {
    return bmp.kind === 'corrupt'
      ? fail('DOCUMENT_CORRUPT', `${capitalize(bmp.reason)}.`)
      : fail('DOCUMENT_INVALID_FORMAT', `${capitalize(bmp.reason)}. ${ACCEPTED}`)
  }
  const raw = { width: bmp.width, height: bmp.height, channels: 3 } as const
  return decodeRaster(bmp.rgb, 'bmp', o, channels, raw)
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)

async function decodeRaster(
  bytes: Uint8Array,
  format: DocumentFormat,
  o: typeof DEFAULTS & IntakeOptions,
  channels: Channels,
  raw?: { width: number; height: number; channels: 3 },
): Promise<RasterResult> {
  try {
    // failOn 'truncated': a cut-off file is an error, not a half-grey image.
    const base = sharp(bytes, { limitInputPixels: o.maxPixels, failOn: 'truncated', raw }).rotate()
    const oriented = await base.clone().metadata()
    // EXIF orientations 5–8 swap width and height.
    const swap = (oriented.orientation ?? 1) >= 5
    const sw = swap ? (oriented.height ?? 0) : (oriented.width ?? 0)
    const sh = swap ? (oriented.width ?? 0) : (oriented.height ?? 0)
    const small = tooSmall(sw, sh, o)
    if (small) return small
    const scale = Math.min(1, o.maxWorkingSide / Math.max(sw, sh))
    const resized =
      scale < 1
        ? base.resize(Math.round(sw * scale), Math.round(sh * scale), { kernel: 'linear' })
        : base
    const out = await (
      channels === 'gray' ? resized.grayscale() : resized.removeAlpha().toColourspace('srgb')
    )
      .raw()
      .toBuffer({ resolveWithObject: true })
    const image: Raster = {
      format,
      width: out.info.width,
      height: out.info.height,
      pixels: new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length),
      sourceWidth: sw,
      sourceHeight: sh,
    }
    return { ok: true, image }
  } catch (err) {
    const detail = err instanceof Error && /pixel limit/i.test(err.message)
    if (detail)
      return fail(
        'DOCUMENT_TOO_LARGE',
        'The image has too many pixels to be a photo of a document.',
      )
    return fail('DOCUMENT_CORRUPT', `The ${format.toUpperCase()} file is truncated or damaged.`)
  }
}

function tooSmall(
  width: number,
  height: number,
  o: { minSide: number; minLongSide: number },
): IntakeFailure | null {
  if (!isTooSmall(width, height, o)) return null
  return fail(
    'DOCUMENT_QUALITY_LOW',
    `The image is ${width}×${height} pixels; at least ${o.minSide} on the shorter side and ${o.minLongSide} on the longer are needed. Move closer or use a higher resolution.`,
    ['too_small'],
  )
}

function isTooSmall(
  width: number,
  height: number,
  o: { minSide: number; minLongSide: number },
): boolean {
  return Math.min(width, height) < o.minSide || Math.max(width, height) < o.minLongSide
}

type Mupdf = typeof MupdfModule
let mupdfModule: Promise<Mupdf> | null = null
/** mupdf is a large WebAssembly module: load it on the first PDF only. */
const loadMupdf = (): Promise<Mupdf> => (mupdfModule ??= import('mupdf'))

async function decodePdf(
  bytes: Uint8Array,
  o: typeof DEFAULTS & IntakeOptions,
  channels: Channels,
): Promise<RasterResult> {
  const mupdf = await loadMupdf()
  let doc: InstanceType<Mupdf['Document']> | null = null
  try {
    doc = mupdf.Document.openDocument(bytes, 'application/pdf')
    if (doc.countPages() < 1) return fail('DOCUMENT_CORRUPT', 'The PDF has no pages.')
    const page = doc.loadPage(0)
    const [x0, y0, x1, y1] = page.getBounds()
    const w = x1 - x0
    const h = y1 - y0
    if (!(w > 0 && h > 0)) return fail('DOCUMENT_CORRUPT', 'The first page of the PDF is empty.')
    const scale = Math.min(PDF_RENDER_SIDE, o.maxWorkingSide) / Math.max(w, h)
    const pix = page.toPixmap(mupdf.Matrix.scale(scale, scale), mupdf.ColorSpace.DeviceRGB, false)
    const width = pix.getWidth()
    const height = pix.getHeight()
    const stride = pix.getStride()
    const px = pix.getPixels()
    const small = tooSmall(width, height, o)
    if (small) return small
    const gray = channels === 'gray'
    const pixels = new Uint8Array(width * height * (gray ? 1 : 3))
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * stride + x * 3
        const r = px[i] ?? 0
        const g = px[i + 1] ?? 0
        const b = px[i + 2] ?? 0
        // ITU-R BT.601 luma, as sharp's grayscale uses.
        if (gray) pixels[y * width + x] = Math.round(0.299 * r + 0.587 * g + 0.114 * b)
        else pixels.set([r, g, b], (y * width + x) * 3)
      }
    }
    pix.destroy()
    page.destroy()
    const image: Raster = {
      format: 'pdf',
      width,
      height,
      pixels,
      sourceWidth: width,
      sourceHeight: height,
    }
    return { ok: true, image }
  } catch {
    return fail('DOCUMENT_CORRUPT', 'The PDF is damaged and cannot be read.')
  } finally {
    doc?.destroy()
  }
}

export interface QualityReport {
  issues: QualityIssue[]
  /** Mean luminance, 0–255. */
  brightness: number
  /** Share of the frame in glare patches (blown out, or washed out towards white), 0–1. */
  glare: number
  /** Edge sharpness: mean of the strongest 2 % gradients relative to contrast, ~0–1. */
  sharpness: number
}

/**
 * A blown-out region running along at least this share of the frame's border is a margin or a
 * white surface, not glare.
 */
const EDGE_SHARE = 0.25

/** Blocks (16 samples a side) between a block and the ring of paper it is compared with. */
const GLARE_RING = 6

/**
 * How many of the blown-out blocks belong to blown-out regions that run along the edge of the
 * frame for at least EDGE_SHARE of its border: the white margins of a scan or a render, or a
 * white surface the document lies on, rather than a highlight on the document (one that reaches
 * the edge touches a short stretch of it).
 */
function blownMargins(isBlown: Uint8Array, nx: number, ny: number): number {
  const seen = new Uint8Array(nx * ny)
  const onBorder = (k: number): boolean => {
    const i = k % nx
    const j = Math.floor(k / nx)
    return i === 0 || j === 0 || i === nx - 1 || j === ny - 1
  }
  const border = nx > 1 && ny > 1 ? 2 * (nx + ny) - 4 : nx * ny
  let margins = 0
  for (let start = 0; start < nx * ny; start++) {
    if (!onBorder(start) || seen[start] || !isBlown[start]) continue
    let size = 0
    let edge = 0
    const stack = [start]
    seen[start] = 1
    while (stack.length > 0) {
      const k = stack.pop()!
      size++
      if (onBorder(k)) edge++
      const i = k % nx
      const next = [i > 0 ? k - 1 : -1, i < nx - 1 ? k + 1 : -1, k - nx, k + nx]
      for (const n of next) {
        if (n < 0 || n >= nx * ny || seen[n] || !isBlown[n]) continue
        seen[n] = 1
        stack.push(n)
      }
    }
    if (edge >= EDGE_SHARE * border) margins += size
  }
  return margins
}

/** Judge whether an image is good enough to read, in reasons a person can act on. */
export function assessQuality(image: GrayImage): QualityReport {
  const { width, height, gray } = image
  const issues: QualityIssue[] = []
  if (isTooSmall(width, height, DEFAULTS)) issues.push('too_small')
  // Work on a grid of about 512 px across so the figures do not depend on resolution.
  const step = Math.max(1, Math.floor(Math.max(width, height) / 512))
  const hist = new Uint32Array(256)
  let sum = 0
  let n = 0
  for (let y = 0; y < height; y += step) {
    for (let x = 0; x < width; x += step) {
      const v = gray[y * width + x] ?? 0
      hist[v]!++
      sum += v
      n++
    }
  }
  const brightness = n ? sum / n : 0
  const pct = (p: number): number => {
    let acc = 0
    for (let v = 0; v < 256; v++) {
      acc += hist[v]!
      if (acc >= p * n) return v
    }
    return 255
  }
  const p5 = pct(0.05)
  const p95 = pct(0.95)
  if (brightness < 60 || p95 < 90) issues.push('too_dark')

  // Glare, two ways. Blown out: blocks nearly all ≥ 250 while the frame as a whole is not. Washed
  // out: a highlight short of saturation still lifts the paper and the print on it towards white;
  // a block near white and brighter than every block in a ring around it (the paper nearby, the
  // brightest of which is blank) by a good part of the way left to white. On 1210 specimen photos
  // glare is now flagged on 130 of the 214 with a glare patch (11 before) and none of the 996
  // without; on licence backs, 11 of 20 and none of 20. Blown-out blocks of a region running
  // along the frame's border are a margin, not glare (see blownMargins): 60 of 60 specimens with
  // white margins around them had been called glared, none are now, while the same 51 of 60
  // glared specimens filling the frame and 37 of 60 on a background are flagged as before.
  const bs = step * 16
  const nx = Math.floor(width / bs)
  const ny = Math.floor(height / bs)
  const means = new Float64Array(nx * ny)
  const isBlown = new Uint8Array(nx * ny)
  let blown = 0
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      let sat = 0
      let sum = 0
      let cnt = 0
      for (let y = j * bs; y < (j + 1) * bs; y += step) {
        for (let x = i * bs; x < (i + 1) * bs; x += step) {
          const v = gray[y * width + x] ?? 0
          if (v >= 250) sat++
          sum += v
          cnt++
        }
      }
      means[j * nx + i] = sum / cnt
      if (sat >= 0.9 * cnt) {
        blown++
        isBlown[j * nx + i] = 1
      }
    }
  }
  const blocks = nx * ny
  blown -= blownMargins(isBlown, nx, ny)
  let washed = 0
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const m = means[j * nx + i]!
      if (m < 240) continue
      let paper = -1
      let ring = 0
      for (let dj = -GLARE_RING; dj <= GLARE_RING; dj++) {
        for (let di = -GLARE_RING; di <= GLARE_RING; di++) {
          if (Math.max(Math.abs(di), Math.abs(dj)) !== GLARE_RING) continue
          const ii = i + di
          const jj = j + dj
          if (ii < 0 || jj < 0 || ii >= nx || jj >= ny) continue
          paper = Math.max(paper, means[jj * nx + ii]!)
          ring++
        }
      }
      if (ring >= 8 && m - paper >= Math.max(5, 0.4 * (255 - paper))) washed++
    }
  }
  const glare = blocks ? Math.max(blown, washed) / blocks : 0
  if (blocks && ((blown > 0.02 * blocks && blown < 0.5 * blocks) || washed > 0.005 * blocks)) {
    issues.push('glare')
  }

  // Sharpness: the strongest gradients of a sharp image approach the full contrast per pixel.
  const gradHist = new Uint32Array(256)
  let gn = 0
  for (let y = step; y < height - step; y += step) {
    for (let x = step; x < width - step; x += step) {
      const i = y * width + x
      const gx = Math.abs((gray[i + 1] ?? 0) - (gray[i - 1] ?? 0))
      const gy = Math.abs((gray[i + width] ?? 0) - (gray[i - width] ?? 0))
      gradHist[Math.min(255, Math.max(gx, gy))]!++
      gn++
    }
  }
  let acc = 0
  let top = 0
  let topN = 0
  for (let v = 255; v >= 0 && acc < 0.02 * gn; v--) {
    const c = gradHist[v]!
    acc += c
    top += v * c
    topN += c
  }
  const contrast = Math.max(1, p95 - p5)
  const sharpness = topN ? top / topN / contrast : 0
  if (sharpness < 0.12) issues.push('blurry')
  return { issues, brightness, glare, sharpness }
}
