import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { decodeRaw, encodeBmp, encodeRaw, glare } from '../specimen/camera.ts'
import { generateMrzSpecimen } from '../specimen/index.ts'
import { assessQuality, decodeDocumentImage, headerSize, sniffFormat } from './intake.ts'

/** A gray test card: white with dark bars (text-like edges). */
async function card(width: number, height: number, format: 'jpeg' | 'png' | 'webp') {
  const bars = Array.from(
    { length: 12 },
    (_, i) => `<rect x="${20 + i * 30}" y="40" width="12" height="${height - 80}" fill="#111"/>`,
  ).join('')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#eee"/>${bars}</svg>`
  return sharp(Buffer.from(svg)).toFormat(format).toBuffer()
}

const minimalPdf = (kids: string, count: number): Uint8Array =>
  new TextEncoder().encode(
    `%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [${kids}] /Count ${count} >> endobj\n` +
      (count > 0
        ? '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n'
        : '') +
      'trailer << /Root 1 0 R >>\n%%EOF\n',
  )

describe('format sniffing', () => {
  it('reads magic numbers, not names', async () => {
    expect(sniffFormat(await card(320, 320, 'jpeg'))).toBe('jpeg')
    expect(sniffFormat(await card(320, 320, 'png'))).toBe('png')
    expect(sniffFormat(await card(320, 320, 'webp'))).toBe('webp')
    expect(sniffFormat(minimalPdf('3 0 R', 1))).toBe('pdf')
    expect(sniffFormat(new TextEncoder().encode('GIF89a......'))).toBe('unknown')
  })
})

describe('decodeDocumentImage', () => {
  it('decodes JPEG, PNG and WebP to grayscale', async () => {
    for (const fmt of ['jpeg', 'png', 'webp'] as const) {
      const r = await decodeDocumentImage(await card(400, 320, fmt))
      expect(r.ok).toBe(true)
      if (r.ok) {
        expect(r.image).toMatchObject({ format: fmt, width: 400, height: 320 })
        expect(r.image.gray.length).toBe(400 * 320)
      }
    }
  })

  it('decodes a scanner’s BMP and TIFF to the same grayscale as a PNG of the same pixels', async () => {
    const png = await card(400, 320, 'png')
    const want = await decodeDocumentImage(png)
    const raw = await decodeRaw(png)
    const tiff = await sharp(png).tiff({ compression: 'lzw' }).toBuffer()
    for (const [format, bytes] of [
      ['bmp', new Uint8Array(encodeBmp(raw))],
      ['tiff', tiff],
    ] as const) {
      expect(sniffFormat(bytes)).toBe(format)
      const r = await decodeDocumentImage(bytes)
      expect(r.ok && r.image.format).toBe(format)
      if (r.ok && want.ok)
        expect(Buffer.from(r.image.gray).equals(Buffer.from(want.image.gray))).toBe(true)
    }
  })

  it('refuses a BMP whose header claims a huge size before decoding, and a truncated one', async () => {
    const raw = await decodeRaw(await card(320, 320, 'png'))
    const bomb = encodeBmp(raw)
    new DataView(bomb.buffer).setInt32(18, 60_000, true)
    new DataView(bomb.buffer).setInt32(22, 60_000, true)
    expect(await decodeDocumentImage(bomb)).toMatchObject({
      ok: false,
      error: { code: 'DOCUMENT_TOO_LARGE' },
    })
    const whole = encodeBmp(raw)
    expect(await decodeDocumentImage(whole.subarray(0, whole.length / 2))).toMatchObject({
      ok: false,
      error: { code: 'DOCUMENT_CORRUPT', message: 'The BMP is truncated.' },
    })
    const rle4 = encodeBmp(raw)
    new DataView(rle4.buffer).setUint32(30, 2, true)
    expect(await decodeDocumentImage(rle4)).toMatchObject({
      ok: false,
      error: { code: 'DOCUMENT_INVALID_FORMAT' },
    })
  })

  it('applies the EXIF orientation', async () => {
    const rotated = await sharp(await card(400, 320, 'png'))
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer()
    const r = await decodeDocumentImage(rotated)
    expect(r.ok && [r.image.width, r.image.height]).toEqual([320, 400])
  })

  it('renders the first page of a PDF', async () => {
    const r = await decodeDocumentImage(minimalPdf('3 0 R', 1))
    expect(r.ok).toBe(true)
    if (r.ok) expect(r.image.format).toBe('pdf')
  })

  it('refuses a PDF with no pages', async () => {
    const r = await decodeDocumentImage(minimalPdf('', 0))
    expect(r).toMatchObject({ ok: false, error: { code: 'DOCUMENT_CORRUPT' } })
  })

  it('refuses a zero-byte file', async () => {
    const r = await decodeDocumentImage(new Uint8Array(0))
    expect(r).toMatchObject({ ok: false, error: { code: 'DOCUMENT_INVALID_FORMAT' } })
  })

  it('refuses random bytes and names the accepted formats', async () => {
    const bytes = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) % 251)
    const r = await decodeDocumentImage(bytes)
    expect(r).toMatchObject({ ok: false, error: { code: 'DOCUMENT_INVALID_FORMAT' } })
    if (!r.ok) expect(r.error.message).toMatch(/JPEG, PNG, WebP/)
  })

  it('gives HEIC a message of its own', async () => {
    const heic = new Uint8Array([0, 0, 0, 24, ...new TextEncoder().encode('ftypheic'), 0, 0, 0, 0])
    const r = await decodeDocumentImage(heic)
    expect(r).toMatchObject({ ok: false, error: { code: 'DOCUMENT_INVALID_FORMAT' } })
    if (!r.ok) expect(r.error.message).toMatch(/HEIC/)
  })

  it('refuses a truncated JPEG cleanly', async () => {
    const jpeg = await card(600, 400, 'jpeg')
    const r = await decodeDocumentImage(jpeg.subarray(0, Math.floor(jpeg.length / 2)))
    expect(r).toMatchObject({ ok: false, error: { code: 'DOCUMENT_CORRUPT' } })
  })

  it('refuses a PNG whose header lies about its size (bomb)', async () => {
    const png = new Uint8Array(await card(320, 320, 'png'))
    const view = new DataView(png.buffer, png.byteOffset)
    view.setUint32(16, 60_000)
    view.setUint32(20, 60_000)
    expect(headerSize(png, 'png')).toEqual({ width: 60_000, height: 60_000 })
    const r = await decodeDocumentImage(png)
    expect(r).toMatchObject({ ok: false, error: { code: 'DOCUMENT_TOO_LARGE' } })
  })

  it('refuses a PNG whose header claims a plausible size its data does not hold', async () => {
    const png = new Uint8Array(await card(320, 320, 'png'))
    new DataView(png.buffer, png.byteOffset).setUint32(20, 2000)
    const r = await decodeDocumentImage(png)
    expect(r).toMatchObject({ ok: false, error: { code: 'DOCUMENT_CORRUPT' } })
  })

  it('refuses a real image over the pixel limit before decoding it', async () => {
    const big = await sharp({
      create: { width: 3000, height: 3000, channels: 3, background: '#fff' },
    })
      .png()
      .toBuffer()
    const r = await decodeDocumentImage(big, { maxPixels: 4_000_000 })
    expect(r).toMatchObject({ ok: false, error: { code: 'DOCUMENT_TOO_LARGE' } })
  })

  it('refuses files over the byte limit', async () => {
    const r = await decodeDocumentImage(await card(400, 400, 'png'), { maxBytes: 100 })
    expect(r).toMatchObject({ ok: false, error: { code: 'DOCUMENT_TOO_LARGE' } })
  })

  it('refuses images under the minimum size as too small', async () => {
    // A thumbnail, and a sliver: neither holds an MRZ line or a licence barcode.
    for (const [w, h] of [
      [150, 150],
      [400, 40],
    ] as const) {
      const r = await decodeDocumentImage(await card(w, h, 'png'))
      expect(r).toMatchObject({
        ok: false,
        error: { code: 'DOCUMENT_QUALITY_LOW', quality: ['too_small'] },
      })
      if (!r.ok) expect(r.error.message).toContain(`${w}×${h}`)
    }
    const strict = await decodeDocumentImage(await card(150, 400, 'png'), { minSide: 200 })
    expect(strict.ok).toBe(false)
    const lenient = await decodeDocumentImage(await card(150, 150, 'png'), { minLongSide: 100 })
    expect(lenient.ok).toBe(true)
  })

  it('takes a tight scan, a barcode crop or an MRZ strip whose shorter side is small but not tiny', async () => {
    // A document scanned edge to edge, a licence's barcode cut out of a photo, an MRZ cut out.
    for (const [w, h] of [
      [376, 265],
      [1160, 204],
      [400, 160],
      [1100, 146],
      [1000, 60],
    ] as const) {
      const r = await decodeDocumentImage(await card(w, h, 'png'))
      expect(r).toMatchObject({ ok: true, image: { width: w, height: h } })
    }
  })
})

describe('assessQuality', () => {
  const decode = async (buf: Buffer) => {
    const r = await decodeDocumentImage(buf)
    if (!r.ok) throw new Error(r.error.message)
    return r.image
  }

  it('passes a sharp, bright image', async () => {
    expect(assessQuality(await decode(await card(800, 600, 'png'))).issues).toEqual([])
  })

  it('flags a dark image', async () => {
    const dark = await sharp(await card(800, 600, 'png'))
      .linear(0.2, 0)
      .png()
      .toBuffer()
    expect(assessQuality(await decode(dark)).issues).toContain('too_dark')
  })

  it('flags a blurred image', async () => {
    const blurred = await sharp(await card(800, 600, 'png'))
      .blur(12)
      .png()
      .toBuffer()
    expect(assessQuality(await decode(blurred)).issues).toContain('blurry')
  })

  it('flags glare', async () => {
    const base = await sharp(await card(800, 600, 'png'))
      .linear(0.8, 0)
      .png()
      .toBuffer()
    const patch = await sharp({
      create: { width: 200, height: 160, channels: 3, background: '#fff' },
    })
      .png()
      .toBuffer()
    const glared = await sharp(base)
      .composite([{ input: patch, left: 300, top: 200 }])
      .png()
      .toBuffer()
    expect(assessQuality(await decode(glared)).issues).toContain('glare')
  })

  it('does not take the white margins of a scan for glare', async () => {
    const s = await generateMrzSpecimen(12, { format: 'TD1', asOf: '2026-06-01' })
    const { width } = await sharp(s.image).metadata()
    const pad = Math.round(width * 0.15)
    const scanned = await sharp(s.image)
      .extend({ top: pad, bottom: pad, left: pad, right: pad, background: '#ffffff' })
      .png()
      .toBuffer()
    expect(assessQuality(await decode(scanned)).issues).toEqual([])
    // A highlight on the same document in that scan is still glare.
    const raw = await decodeRaw(scanned)
    const lit = glare(
      raw,
      raw.width * 0.45,
      raw.height * 0.5,
      raw.width * 0.1,
      raw.width * 0.07,
      0.9,
    )
    expect(assessQuality(await decode(await encodeRaw(lit, 'png', 90))).issues).toContain('glare')
  })

  it('flags a highlight that washes the print out short of saturating it', async () => {
    const s = await generateMrzSpecimen(11, { format: 'TD3', asOf: '2026-06-01' })
    expect(assessQuality(await decode(s.image)).issues).toEqual([])
    const raw = await decodeRaw(s.image)
    // Blended 60 % towards white: the paper under it stays below 250.
    const lit = glare(
      raw,
      raw.width * 0.5,
      raw.height * 0.6,
      raw.width * 0.15,
      raw.width * 0.1,
      0.6,
    )
    const q = assessQuality(await decode(await encodeRaw(lit, 'jpeg', 85)))
    expect(q.issues).toEqual(['glare'])
  })
})
