import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { generateLicence } from '../../specimen/licence.ts'
import { generateLicenceImage, renderPdf417 } from '../../specimen/licence-image.ts'
import { readAamvaFromBytes } from './index.ts'

const AS_OF = '2026-06-01'

describe('readAamvaFromBytes', () => {
  it('reads a clean card back', async () => {
    const specimen = await generateLicenceImage(21, { version: 10, jurisdiction: 'VA' })
    const r = await readAamvaFromBytes(specimen.image, { asOf: AS_OF })
    if (!r.ok) throw new Error(r.error.message)
    expect(r.source).toBe('aamva')
    expect(r.aamva).toMatchObject({
      version: 10,
      iin: '636000',
      jurisdiction: 'VA',
      fileType: 'ANSI',
    })
    expect(r.person.dateOfBirth).toBe(specimen.truth.dateOfBirth)
    expect(r.document.expiryDate).toBe(specimen.truth.expiryDate)
  })

  it('reads a photo turned by an arbitrary angle, on a desk, as JPEG', async () => {
    const specimen = await generateLicenceImage(22, {
      version: 8,
      jurisdiction: 'ON',
      camera: { background: 0.2, rotation: 37, perspective: 0.05, jpegQuality: 80 },
    })
    const r = await readAamvaFromBytes(specimen.image, { asOf: AS_OF })
    if (!r.ok) throw new Error(r.error.message)
    expect(r.person.dateOfBirth).toBe(specimen.truth.dateOfBirth)
    expect(r.document.issuer).toBe('CA-ON')
  })

  it('reads a small, blurred, rotated JPEG', async () => {
    const specimen = await generateLicenceImage(23, {
      version: 3,
      camera: { background: 0.2, rotation: -10, blur: 0.8, scale: 0.6, jpegQuality: 70 },
    })
    const r = await readAamvaFromBytes(specimen.image, { asOf: AS_OF })
    if (!r.ok) throw new Error(r.error.message)
    expect(r.person.dateOfBirth).toBe(specimen.truth.dateOfBirth)
  })

  it('says no barcode was found, as a result, for an image without one', async () => {
    const plain = await sharp({
      create: { width: 800, height: 500, channels: 3, background: '#e8e4dc' },
    })
      .jpeg()
      .toBuffer()
    const r = await readAamvaFromBytes(plain, { asOf: AS_OF })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(['BARCODE_NOT_FOUND', 'BARCODE_UNREADABLE']).toContain(r.error.code)
  })

  it('rejects a PDF417 that is not an AAMVA payload', async () => {
    const symbol = await renderPdf417('BOARDING PASS M1DOE/JANE EABC123 YULFRAAC 0834')
    const image = await sharp(symbol)
      .extend({ top: 200, bottom: 200, left: 60, right: 60, background: '#ffffff' })
      .png()
      .toBuffer()
    const r = await readAamvaFromBytes(image, { asOf: AS_OF })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.code).toBe('AAMVA_INVALID')
  })

  describe('module width', () => {
    // A licence's PDF417 as issuers print it: 13 columns, 290 modules a row, 3 px a module here.
    const licenceSymbol = async (): Promise<Buffer> => {
      return renderPdf417(generateLicence(24, { version: 9, jurisdiction: 'VA' }).payload)
    }
    /** The symbol scaled by `factor`, on paper, turned 8°, blurred, saved as JPEG of `quality`. */
    const photo = async (
      symbol: Buffer,
      factor: number,
      quality: number,
      blur = 0,
    ): Promise<Buffer> => {
      const width = Math.round(((await sharp(symbol).metadata()).width ?? 0) * factor)
      const placed = await sharp(symbol)
        .resize(width)
        .extend({ top: 150, bottom: 150, left: 100, right: 100, background: '#ffffff' })
        .png()
        .toBuffer()
      const turned = sharp(placed).rotate(8, { background: '#ffffff' })
      return (blur > 0 ? turned.blur(blur) : turned).jpeg({ quality }).toBuffer()
    }

    it('is measured on a barcode read from a located region', async () => {
      const r = await readAamvaFromBytes(await photo(await licenceSymbol(), 1, 90), {
        asOf: AS_OF,
      })
      if (!r.ok) throw new Error(r.error.message)
      expect(r.aamva?.moduleSizePx).toBeGreaterThan(2.6)
      expect(r.aamva?.moduleSizePx).toBeLessThan(3.4)
    })

    it('too fine to decode is refused as too small, with its width', async () => {
      // About 1.1 px a module, and JPEG artefacts as coarse as the bars.
      const r = await readAamvaFromBytes(await photo(await licenceSymbol(), 0.35, 15), {
        asOf: AS_OF,
      })
      expect(r).toMatchObject({
        ok: false,
        error: { code: 'DOCUMENT_QUALITY_LOW', quality: ['too_small'] },
      })
      if (!r.ok) expect(r.error.moduleSizePx).toBeLessThan(1.5)
    })

    it('a barcode too blurred to decode but not too small stays unreadable', async () => {
      const r = await readAamvaFromBytes(await photo(await licenceSymbol(), 1, 90, 3), {
        asOf: AS_OF,
      })
      expect(r).toMatchObject({ ok: false, error: { code: 'BARCODE_UNREADABLE' } })
      if (!r.ok) expect(r.error.moduleSizePx).toBeGreaterThan(1.5)
    })
  })
})
