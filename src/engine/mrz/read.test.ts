// The MRZ reader on a document photographed on its side (the zone is found after a quarter turn)
// and on a document small in a large frame (found with the frame seen larger).

import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { decodeDocumentImage } from '../intake.ts'
import { generateMrzSpecimen } from '../../specimen/index.ts'
import { ocrbGlyph } from './ocrb.ts'
import { quarterTurn, readMrz } from './read.ts'

const AS_OF = '2026-06-01'

describe('readMrz on a document turned a quarter', () => {
  it('turns pixels the right way', () => {
    // 3 wide, 2 tall: a b c / d e f. Clockwise: d a / e b / f c; counter-clockwise: c f / b e / a d.
    const img = { width: 3, height: 2, gray: Uint8Array.from([1, 2, 3, 4, 5, 6]) }
    expect(quarterTurn(img, true)).toEqual({
      width: 2,
      height: 3,
      gray: Uint8Array.from([4, 1, 5, 2, 6, 3]),
    })
    expect(quarterTurn(img, false)).toEqual({
      width: 2,
      height: 3,
      gray: Uint8Array.from([3, 6, 2, 5, 1, 4]),
    })
  })

  for (const clockwise of [true, false]) {
    it(`reads a passport turned 90° ${clockwise ? 'clockwise' : 'counter-clockwise'}`, async () => {
      const specimen = await generateMrzSpecimen(11, { format: 'TD3', asOf: AS_OF })
      const decoded = await decodeDocumentImage(specimen.image)
      if (!decoded.ok) throw new Error('specimen did not decode')
      const r = await readMrz(quarterTurn(decoded.image, clockwise), { asOf: AS_OF })
      expect(r.ok && r.mrz.lines).toEqual(specimen.lines)
    }, 120_000)
  }
})

describe('readMrz on a document small in a large frame', () => {
  it('reads a passport taking 4 % of a 29-megapixel photo', async () => {
    const specimen = await generateMrzSpecimen(11, { format: 'TD3', asOf: AS_OF })
    const { width = 0, height = 0 } = await sharp(specimen.image).metadata()
    // Five times the document's size across: its lines are about 4 px apart at the locator's
    // first working size, too fine to be found there.
    const [fw, fh] = [width * 5, height * 5]
    const photo = await sharp({
      create: { width: fw, height: fh, channels: 3, background: '#7d6e5f' },
    })
      .composite([{ input: specimen.image, left: 2 * width, top: 2 * height }])
      .jpeg({ quality: 90 })
      .toBuffer()
    const decoded = await decodeDocumentImage(photo)
    if (!decoded.ok) throw new Error('photo did not decode')
    const r = await readMrz(decoded.image, { asOf: AS_OF })
    expect(r.ok && r.mrz.lines).toEqual(specimen.lines)
  }, 120_000)
})

describe('readMrz on a zone with a line crossed out', () => {
  // A pen stroke through the first glyphs of one line of an ID card's zone joins them into one
  // shape: that line no longer segments into its 30 cells. Its neighbours say where they are.
  const asOf = '2026-06-01'
  for (const [line, path] of [
    [1, 'M 30 420 Q 120 395 230 415'],
    [2, 'M 30 462 Q 120 440 230 458'],
    [3, 'M 30 505 Q 120 485 230 500'],
  ] as const) {
    it(`reads it when line ${line} is struck through`, async () => {
      const s = await generateMrzSpecimen(5, { format: 'TD1', asOf })
      const { width, height } = await sharp(s.image).metadata()
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><path d="${path}" fill="none" stroke="#c0108a" stroke-width="3"/></svg>`
      const struck = await sharp(s.image)
        .composite([{ input: Buffer.from(svg), left: 0, top: 0 }])
        .png()
        .toBuffer()
      const decoded = await decodeDocumentImage(struck)
      if (!decoded.ok) throw new Error('specimen did not decode')
      const r = await readMrz(decoded.image, { asOf })
      expect(r.ok && r.mrz.lines).toEqual(s.lines)
    }, 60_000)
  }
})

describe('readMrz on a page that bows', () => {
  // The page of an open passport curves towards the spine; photographed at a slant, its zone's
  // lines bow and one end's glyphs stand taller than the other's. Here each line sags by half a
  // glyph height in its middle, and the glyphs grow from 0.8 to 1.2 times their size across it.
  it('finds a faint zone on a tinted band when the page’s print is found first', async () => {
    // A zone printed on a light tinted band, its strokes faint against it: the first ink
    // threshold loses them and finds only darker print at the zone's spacing that is no OCR-B
    // (a real Spanish specimen's header lines); the fainter threshold finds the zone.
    const specimen = await generateMrzSpecimen(12, { format: 'TD3', asOf: AS_OF })
    const decoded = await decodeDocumentImage(specimen.image)
    if (!decoded.ok) throw new Error('specimen did not decode')
    const { width: w, height: h, gray } = decoded.image
    const faint = Uint8Array.from(gray)
    for (let y = Math.round(0.78 * h); y < h; y++) {
      for (let x = 0; x < w; x++) faint[y * w + x] = 160 + Math.round((gray[y * w + x]! * 45) / 255)
    }
    // Two dark lines of 44 glyph-sized blots at the zone's spacing, near the top of the page.
    const glyph = Math.round(w / 52)
    for (const top of [Math.round(0.06 * h), Math.round(0.06 * h + 1.8 * glyph)]) {
      for (let k = 0; k < 44; k++) {
        const left = Math.round(0.04 * w + k * 0.9 * glyph)
        for (let y = top; y < top + glyph; y++) {
          for (let x = left; x < left + Math.round(0.55 * glyph); x++) {
            // A checkerboard: one blob, but like no OCR-B glyph.
            const cell = Math.max(2, Math.round(glyph / 5))
            if ((Math.floor((x - left) / cell) + Math.floor((y - top) / cell)) % 2 === 0) {
              faint[y * w + x] = 20
            }
          }
        }
      }
    }
    const r = await readMrz({ width: w, height: h, gray: faint }, { asOf: AS_OF })
    expect(r.ok && r.mrz.lines).toEqual(specimen.lines)
  }, 120_000)

  it('reads the passport along its bowed lines', async () => {
    const specimen = await generateMrzSpecimen(11, { format: 'TD3', asOf: AS_OF })
    const decoded = await decodeDocumentImage(specimen.image)
    if (!decoded.ok) throw new Error('specimen did not decode')
    const { width: w, height: h, gray } = decoded.image
    const glyph = w / 52
    const yc = 0.87 * h
    const bowed = new Uint8Array(w * h).fill(235)
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const t = (x - w / 2) / (w / 2)
        const sy = yc + (y - yc - 0.5 * glyph * (1 - t * t)) / (1 + 0.2 * t)
        const iy = Math.round(sy)
        if (iy >= 0 && iy < h) bowed[y * w + x] = gray[iy * w + x]!
      }
    }
    const r = await readMrz({ width: w, height: h, gray: bowed }, { asOf: AS_OF })
    expect(r.ok && r.mrz.lines).toEqual(specimen.lines)
  }, 120_000)
})

describe('readMrz on a passport zone cut to a card’s length', () => {
  // A passport's zone with an empty personal number, seen as 36 characters (its first 35 and its
  // composite check digit, as when the locator misses its filler runs), satisfies every check
  // digit of a TD2 card: only its P says otherwise, and no card letter may stand in for it.
  it('is not reported as a card', async () => {
    const td3 = [
      'P<USAJOHANSSON<<SPECIMEN<<<<<<<<<<<<<<<<<<<<',
      '1071472OF1USA8808213M3605107<<<<<<<<<<<<<<<6',
    ]
    const cut = [td3[0]!.slice(0, 36), td3[1]!.slice(0, 35) + td3[1]!.at(-1)!]
    const [w, h, pitch, spacing, px] = [105, 74, 2.54, 4.23, 10]
    const glyphs = cut.flatMap((line, i) =>
      [...line].map((ch, k) =>
        ocrbGlyph(
          ch,
          (w - 36 * pitch) / 2 + (k + 0.5) * pitch,
          h - 4.2 - (1 - i) * spacing,
          2.3 / 0.71,
          '#0d0d0d',
        ),
      ),
    )
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w * px}" height="${h * px}" viewBox="0 0 ${w} ${h}"><rect width="${w}" height="${h}" fill="#f3efe0"/>${glyphs.join('')}</svg>`
    const decoded = await decodeDocumentImage(await sharp(Buffer.from(svg)).png().toBuffer())
    if (!decoded.ok) throw new Error('zone did not decode')
    const r = await readMrz(decoded.image, { asOf: AS_OF })
    expect(r.ok ? r.mrz.lines : r.code).toBe('MRZ_UNREADABLE')
  }, 120_000)
})
