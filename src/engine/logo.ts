// A tenant's logo, made safe to serve: decoded under the same refusals as a document (format
// from the bytes, pixel limits read before decoding, truncation is an error), then re-encoded as
// a PNG no larger than the hosted page's header needs, with no metadata carried over.
import sharp from 'sharp'
import type { EngineError } from './types.ts'
import { headerSize, sniffFormat } from './intake.ts'

/** The largest logo the hosted page draws (CSS pixels at 2×), width × height. */
export const LOGO_BOX = { width: 480, height: 160 } as const
/** The largest logo file accepted. */
export const MAX_LOGO_BYTES = 512 * 1024

/** A logo needs far fewer pixels than a document photo: refuse anything bigger before decoding. */
const MAX_PIXELS = 16_000_000
const MAX_SIDE = 8192

export type LogoResult =
  { ok: true; png: Uint8Array; width: number; height: number } | { ok: false; error: EngineError }

const fail = (code: EngineError['code'], message: string): LogoResult => ({
  ok: false,
  error: { code, message },
})

function tooManyPixels(width: number, height: number): LogoResult | null {
  if (width <= 0 || height <= 0) return fail('DOCUMENT_CORRUPT', 'The image has no pixels.')
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) {
    return fail(
      'DOCUMENT_TOO_LARGE',
      `The image claims ${width}×${height} pixels; a logo may have at most ${MAX_SIDE} a side and ${MAX_PIXELS / 1e6} megapixels.`,
    )
  }
  return null
}

/** Decodes a PNG, JPEG or WebP logo and re-encodes it as a PNG of at most LOGO_BOX. */
export async function reencodeLogo(bytes: Uint8Array): Promise<LogoResult> {
  if (bytes.length === 0) return fail('DOCUMENT_INVALID_FORMAT', 'The file is empty.')
  if (bytes.length > MAX_LOGO_BYTES) {
    return fail('DOCUMENT_TOO_LARGE', `A logo may be at most ${MAX_LOGO_BYTES / 1024} KB.`)
  }
  const format = sniffFormat(bytes)
  if (format !== 'png' && format !== 'jpeg' && format !== 'webp') {
    return fail('DOCUMENT_INVALID_FORMAT', 'A logo is a PNG, JPEG or WebP image.')
  }
  if (format !== 'webp') {
    const size = headerSize(bytes, format)
    if (size === null)
      return fail('DOCUMENT_CORRUPT', `The ${format.toUpperCase()} header is damaged.`)
    const bomb = tooManyPixels(size.width, size.height)
    if (bomb) return bomb
  }
  const input = { limitInputPixels: MAX_PIXELS, failOn: 'truncated' } as const
  try {
    const meta = await sharp(bytes, input).metadata()
    const bomb = tooManyPixels(meta.width ?? 0, meta.height ?? 0)
    if (bomb) return bomb
    // Only the first frame of an animation; sharp writes no EXIF, ICC or XMP unless asked, and
    // converts to sRGB.
    const { data, info } = await sharp(bytes, input)
      .rotate()
      .resize(LOGO_BOX.width, LOGO_BOX.height, { fit: 'inside', withoutEnlargement: true })
      .png({ compressionLevel: 9 })
      .toBuffer({ resolveWithObject: true })
    return {
      ok: true,
      png: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
    }
  } catch (err) {
    if (err instanceof Error && /pixel limit/i.test(err.message)) {
      return fail('DOCUMENT_TOO_LARGE', 'The image has too many pixels for a logo.')
    }
    return fail('DOCUMENT_CORRUPT', `The ${format.toUpperCase()} file is truncated or damaged.`)
  }
}
