import { mkdtemp, readdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { generateMrzSpecimen } from '../specimen/index.ts'
import { runInspect } from './inspect-cli.ts'
import { inspectImage, inspectMrzText } from './inspect.ts'
import { mrzCheckDigit } from './mrz/check-digit.ts'

const UTOPIA =
  'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10\n'

describe('inspectMrzText', () => {
  it('shapes the inspect contract', () => {
    const r = inspectMrzText(UTOPIA, { asOf: '2010-08-11' })
    expect(r).toMatchObject({
      ok: true,
      source: 'mrz',
      documentType: 'passport',
      mrz: { format: 'TD3', valid: true },
      person: {
        lastName: 'ERIKSSON',
        firstName: 'ANNA MARIA',
        sex: 'F',
        dateOfBirth: '1974-08-12',
        nationality: 'UTO',
      },
      document: { number: 'L898902C3', issuer: 'UTO', expiryDate: '2012-04-15', issueDate: null },
      ageYears: 35,
      expired: false,
    })
    expect(inspectMrzText(UTOPIA, { asOf: '2012-04-16' })).toMatchObject({ expired: true })
    expect(inspectMrzText(UTOPIA, { asOf: '2012-04-15' })).toMatchObject({ expired: false })
  })

  it('gives both birth dates, and no age, when the two-digit year fits two centuries', () => {
    // Utopia's passport for a holder born on 12 December of 1912 or 2012, valid to 2031.
    const body = `L898902C36UTO121212${mrzCheckDigit('121212')}F310310${mrzCheckDigit('310310')}ZE184226B<<<<<1`
    const composite = mrzCheckDigit(body.slice(0, 10) + body.slice(13, 20) + body.slice(21, 43))
    const text = `P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n${body}${composite}\n`
    const r = inspectMrzText(text, { asOf: '2026-06-01' })
    expect(r).toMatchObject({
      ok: true,
      mrz: { valid: true },
      person: { dateOfBirth: null, dateOfBirthCandidates: ['1912-12-12', '2012-12-12'] },
      ageYears: null,
      expired: false,
    })
    // A certain century adds nothing to the contract.
    const utopia = inspectMrzText(UTOPIA, { asOf: '2010-08-11' })
    expect(utopia.ok && 'dateOfBirthCandidates' in utopia.person).toBe(false)
  })

  it('tolerates surrounding lines', () => {
    const r = inspectMrzText(`Passport scan\n\n${UTOPIA}\n`, { asOf: '2010-01-01' })
    expect(r.ok).toBe(true)
  })

  it('reports a failed check digit as invalid, and text that is no MRZ as not found', () => {
    const bad = UTOPIA.replace('7408122', '7408123')
    const r = inspectMrzText(bad, { asOf: '2010-01-01' })
    expect(r).toMatchObject({ ok: true, mrz: { valid: false, checks: { birthDate: false } } })
    expect(inspectMrzText('hello\nworld', {})).toMatchObject({
      ok: false,
      error: { code: 'MRZ_NOT_FOUND' },
    })
  })
})

describe('inspectImage', () => {
  it('writes debug images when asked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loom-inspect-'))
    const s = await generateMrzSpecimen(3, { format: 'TD2', asOf: '2026-06-01', pxPerMm: 9 })
    const r = await inspectImage(s.image, { asOf: '2026-06-01', debugDir: dir })
    expect(r.ok).toBe(true)
    const files = await readdir(dir)
    expect(files.some((f) => f.includes('mrz-line'))).toBe(true)
  })

  it('reads the MRZ from the first page of a PDF holding a JPEG photo', async () => {
    const s = await generateMrzSpecimen(9, {
      format: 'TD3',
      asOf: '2026-06-01',
      degradations: ['jpeg'],
      pxPerMm: 9,
    })
    const { width: w = 0, height: h = 0 } = await sharp(s.image).metadata()
    const enc = new TextEncoder()
    const content = `q ${w * 0.24} 0 0 ${h * 0.24} 0 0 cm /Im0 Do Q`
    const pdf = new Uint8Array([
      ...enc.encode(
        '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
          '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n' +
          `3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w * 0.24} ${h * 0.24}] ` +
          '/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >> endobj\n' +
          `4 0 obj << /Type /XObject /Subtype /Image /Width ${w} /Height ${h} /ColorSpace /DeviceRGB ` +
          `/BitsPerComponent 8 /Filter /DCTDecode /Length ${s.image.length} >>\nstream\n`,
      ),
      ...s.image,
      ...enc.encode(
        `\nendstream\nendobj\n5 0 obj << /Length ${content.length} >>\nstream\n${content}\n` +
          'endstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
      ),
    ])
    const r = await inspectImage(pdf, { asOf: '2026-06-01' })
    expect(r.ok && r.mrz?.lines).toEqual(s.lines)
  })

  it("reports the MRZ failure, not the barcode reader's, for an ID card whose MRZ is too blurred to read", async () => {
    const s = await generateMrzSpecimen(5, { format: 'TD1', asOf: '2026-06-01' })
    const blurred = await sharp(s.image).blur(4.5).jpeg({ quality: 80 }).toBuffer()
    // The blurred zone's strokes look like bars to the barcode locator, but no row opens or
    // ends with a PDF417's wide guard bar: no barcode is reported.
    const barcode = await inspectImage(blurred, { asOf: '2026-06-01', hint: 'aamva' })
    expect(barcode).toMatchObject({ ok: false, error: { code: 'BARCODE_NOT_FOUND' } })
    const r = await inspectImage(blurred, { asOf: '2026-06-01' })
    expect(r).toMatchObject({ ok: false, error: { code: 'MRZ_UNREADABLE' } })
  })

  it('reports a visa whose readers settle every checked field but not its optional data', async () => {
    // A generated visa whose optional data (no check digit) holds O and 0, where the template
    // reader and the recognizer each read a valid but different zone: the result says which
    // field is open and gives both readings; everything else is read.
    const s = await generateMrzSpecimen(1137151743, { format: 'MRVA', asOf: '2026-06-01' })
    expect(s.lines[1]!.slice(28, 35)).toBe('0549O3O')
    const r = await inspectImage(s.image, { asOf: '2026-06-01' })
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.mrz?.valid).toBe(true)
    expect(r.mrz?.unresolved).toEqual([
      { field: 'optionalData', candidates: ['0549O3O', '0549030'] },
    ])
    expect(r.mrz?.lines[1]).toBe(s.lines[1]!.slice(0, 32) + '?3?' + s.lines[1]!.slice(35))
    expect(r.person).toMatchObject({ lastName: 'QUINTERO', dateOfBirth: s.identity.dateOfBirth })
    expect(r.document.number).toBe(s.identity.documentNumber)
  })

  describe('letter height of the machine readable zone', () => {
    const asOf = '2026-06-01'
    const passportAt = async (pxPerMm: number, blur = 0): Promise<Buffer> => {
      const s = await generateMrzSpecimen(5, { format: 'TD3', asOf, pxPerMm })
      return blur > 0 ? sharp(s.image).blur(blur).png().toBuffer() : s.image
    }

    it('reads a sharp passport scan smaller than 300 px a side, and says how tall its letters are', async () => {
      const image = await passportAt(4.5)
      expect((await sharp(image).metadata()).height).toBeLessThan(400)
      const r = await inspectImage(image, { asOf })
      if (!r.ok) throw new Error(r.error.message)
      expect(r.mrz?.glyphHeightPx).toBeGreaterThan(9)
      expect(r.mrz?.glyphHeightPx).toBeLessThan(12)
    })

    it('puts a zone it cannot read down to its size when the letters are under 12 px', async () => {
      const r = await inspectImage(await passportAt(4, 1.4), { asOf })
      expect(r).toMatchObject({
        ok: false,
        error: { code: 'DOCUMENT_QUALITY_LOW', quality: ['too_small'] },
      })
      if (!r.ok) expect(r.error.glyphHeightPx).toBeLessThan(12)
      // The same blur on larger letters reads.
      expect((await inspectImage(await passportAt(8, 1.4), { asOf })).ok).toBe(true)
    })

    it('reads a machine readable zone cut out of the page, a strip a few letters tall', async () => {
      const s = await generateMrzSpecimen(5, { format: 'TD3', asOf, pxPerMm: 8 })
      const { width, height } = await sharp(s.image).metadata()
      // The bottom of a TD3 page holds the MRZ: its two lines in the last 14 % of the height.
      const top = Math.round(height * 0.84)
      const strip = await sharp(s.image)
        .extract({ left: 0, top, width: width, height: height - top })
        .png()
        .toBuffer()
      expect(height - top).toBeLessThan(160)
      const r = await inspectImage(strip, { asOf })
      expect(r.ok && r.mrz?.lines).toEqual(s.lines)
    })

    it('refuses letters too small to trust even when the check digits hold', async () => {
      // A 312×220 scan of a passport page: the letters are under 7 px.
      const r = await inspectImage(await passportAt(2.5), { asOf })
      expect(r).toMatchObject({
        ok: false,
        error: { code: 'DOCUMENT_QUALITY_LOW', quality: ['too_small'] },
      })
      if (!r.ok) expect(r.error.glyphHeightPx).toBeLessThan(7)
      // Letters of 7.4 px read: the two readers agree and every check digit holds.
      const larger = await inspectImage(await passportAt(3), { asOf })
      expect(larger.ok && larger.mrz?.glyphHeightPx).toBeGreaterThan(7)
    })
  })

  it('turns bad bytes into an error result', async () => {
    const r = await inspectImage(new TextEncoder().encode('not an image'))
    expect(r).toMatchObject({ ok: false, error: { code: 'DOCUMENT_INVALID_FORMAT' } })
  })
})

describe('runInspect', () => {
  const run = async (argv: string[]) => {
    const lines: string[] = []
    const status = await runInspect(argv, (l) => lines.push(l))
    return { status, lines }
  }

  it('prints one JSON line per file and exits 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loom-cli-'))
    const mrz = join(dir, 'mrz.txt')
    const junk = join(dir, 'junk.jpg')
    await writeFile(mrz, UTOPIA)
    await writeFile(junk, 'junk')
    const text = await run(['--mrz-text', mrz, '--as-of', '2010-01-01'])
    expect(text.status).toBe(0)
    expect(JSON.parse(text.lines[0]!)).toMatchObject({ file: mrz, ok: true, ageYears: 35 })
    const image = await run([junk])
    expect(image.status).toBe(0)
    expect(JSON.parse(image.lines[0]!)).toMatchObject({
      file: junk,
      ok: false,
      error: { code: 'DOCUMENT_INVALID_FORMAT' },
    })
  })

  it('exits 1 on usage errors', async () => {
    expect((await run([])).status).toBe(1)
    expect((await run(['--as-of', '2010-13-01', 'x'])).status).toBe(1)
    expect((await run(['--bogus', 'x'])).status).toBe(1)
    expect((await run(['/nonexistent/file.png'])).status).toBe(1)
  })

  it('prints help', async () => {
    const r = await run(['--help'])
    expect(r.status).toBe(0)
    expect(r.lines.join('\n')).toMatch(/--mrz-text/)
  })
})
