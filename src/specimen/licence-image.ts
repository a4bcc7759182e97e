// The card images of specimen licences: the back with its PDF417 (drawn by bwip-js), and that
// back photographed by a simulated camera.
import type * as BwipJs from 'bwip-js'
import type { RenderOptions } from 'bwip-js'
import sharp from 'sharp'
import * as camera from './camera.ts'
import { createRng } from './identity.ts'
import { generateLicence } from './licence.ts'
import type { LicenceOptions, LicenceSpecimen } from './licence.ts'

/** Renders the PDF417 of a payload as a grey PNG, 3 pixels a module, with a quiet zone. */
export async function renderPdf417(payload: string): Promise<Buffer> {
  // AAMVA Annex D, D.11: error correction level 3 or higher; we use 5 like most issuers.
  // Symbol options beyond bwip-js's typed ones are passed through to BWIPP.
  const options: RenderOptions & { columns: number; eclevel: number; rowmult: number } = {
    bcid: 'pdf417',
    text: payload,
    columns: 13,
    eclevel: 5,
    scale: 3,
    rowmult: 3,
    paddingwidth: 6,
    paddingheight: 6,
    backgroundcolor: 'FFFFFF',
  }
  const bwipjs = await loadBarcodeWriter()
  return bwipjs.toBuffer(options)
}

export class MissingBarcodeWriterError extends Error {}

/**
 * bwip-js draws the PDF417 of specimen licences (13 MB, only ever used to draw samples: Loom reads
 * barcodes with zxing-wasm), so it is loaded here, on first use, not by every process that imports
 * this module. It is a dependency like any other, since `loom specimen` is a product command; an
 * install that lacks it all the same gets one clear line instead of a stack, and every specimen
 * without a barcode is still drawn.
 */
async function loadBarcodeWriter(): Promise<typeof BwipJs> {
  try {
    return await import('bwip-js')
  } catch (e) {
    const code = (e as { code?: unknown }).code
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw e
    throw new MissingBarcodeWriterError(
      'drawing a licence barcode needs bwip-js, a dependency of Loom missing from this install; reinstall its dependencies (`npm ci --omit=dev`) to add it',
    )
  }
}

/** Renders the back of a card (about 300 dpi, 1012×638) carrying the payload's PDF417. */
export async function renderLicenceBack(payload: string, seed = 1): Promise<Buffer> {
  const rng = createRng(seed ^ 0x5bd1e995)
  const rand = (): number => rng.next()
  const width = 1012
  const height = 638
  const barcode = sharp(await renderPdf417(payload))
  const meta = await barcode.metadata()
  const targetWidth = Math.round(width * 0.86)
  const scale = targetWidth / (meta.width ?? targetWidth)
  const targetHeight = Math.round((meta.height ?? 100) * scale)
  const resized = await barcode
    .resize(targetWidth, targetHeight, { kernel: 'nearest' })
    .png()
    .toBuffer()
  const tint = ['#eef3f8', '#f4efe6', '#eef6ee', '#f3f3f3'][Math.floor(rand() * 4)] ?? '#f3f3f3'
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="${width}" height="${height}" rx="36" fill="${tint}"/>
    <text x="60" y="60" font-family="sans-serif" font-size="24" fill="#445">RESTRICTIONS: NONE   ENDORSEMENTS: NONE</text>
    <text x="60" y="95" font-family="sans-serif" font-size="20" fill="#667">CLASS D   ORGAN DONOR   ${Math.floor(rand() * 1e6)}</text>
  </svg>`
  const top = Math.max(110, height - targetHeight - 50)
  return sharp(Buffer.from(svg))
    .composite([{ input: resized, left: Math.round((width - targetWidth) / 2), top }])
    .flatten({ background: '#ffffff' })
    .png()
    .toBuffer()
}

/** How a licence back is photographed; every field optional (absent = not applied). */
export interface LicenceCamera {
  /** Lay the card on a cluttered desk (margin as a share of the card size). */
  background?: number
  /** Soft specular highlight over part of the card. */
  glare?: boolean
  /** Hand-held tilt: corners moved inwards by up to this share of the size (0.04–0.12). */
  perspective?: number
  /** Rotation, degrees clockwise (any angle). */
  rotation?: number
  /** Low light: gain below 1, with the noise of a high ISO. */
  lowLight?: number
  /** Gaussian blur sigma, pixels of the card render (1012 px wide). */
  blur?: number
  /** Sensor noise, grey levels. */
  noise?: number
  /** Final size relative to the render (0.55 = 55 %). */
  scale?: number
  /** JPEG quality of the final file; PNG when absent. */
  jpegQuality?: number
}

/** Photographs a rendered card (PNG) with camera-like degradations; deterministic per seed. */
export async function photographLicence(
  png: Buffer,
  settings: LicenceCamera,
  seed: number,
): Promise<Buffer> {
  const rng = createRng(seed ^ 0x27d4eb2f)
  let img = await camera.decodeRaw(png)
  const cardWidth = img.width
  if (settings.background !== undefined) {
    img = await camera.onBackground(img, rng, settings.background)
  }
  if (settings.glare) {
    const rx = cardWidth * (0.1 + rng.next() * 0.08)
    const cx = img.width / 2 + (rng.next() - 0.5) * cardWidth * 0.6
    const cy = img.height / 2 + (rng.next() - 0.5) * cardWidth * 0.3
    img = camera.glare(img, cx, cy, rx, rx * 0.7, 0.7 + rng.next() * 0.2)
  }
  if (settings.perspective !== undefined) {
    img = camera.perspective(img, settings.perspective, rng)
  }
  if (settings.rotation !== undefined && settings.rotation !== 0) {
    img = await camera.rotate(img, settings.rotation, '#505050')
  }
  if (settings.lowLight !== undefined) img = camera.lowLight(img, settings.lowLight, rng)
  if (settings.blur !== undefined) img = await camera.blur(img, settings.blur)
  if (settings.noise !== undefined) img = camera.noise(img, settings.noise, rng)
  if (settings.scale !== undefined && settings.scale !== 1) {
    img = await camera.scaleToWidth(img, img.width * settings.scale)
  }
  return settings.jpegQuality === undefined
    ? camera.encodeRaw(img, 'png')
    : camera.encodeRaw(img, 'jpeg', settings.jpegQuality)
}

export interface LicenceImageSpecimen extends LicenceSpecimen {
  /** PNG, or JPEG when the camera settings give a quality. */
  image: Buffer
}

/** Generates a licence, renders its back and photographs it: image and exact ground truth. */
export async function generateLicenceImage(
  seed: number,
  options: LicenceOptions & { camera?: LicenceCamera } = {},
): Promise<LicenceImageSpecimen> {
  const specimen = generateLicence(seed, options)
  const png = await renderLicenceBack(specimen.payload, seed)
  const image =
    options.camera === undefined ? png : await photographLicence(png, options.camera, seed)
  return { ...specimen, image }
}
