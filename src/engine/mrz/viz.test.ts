// The visual zone's birth date settles a century the MRZ leaves open, and nothing else.

import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { centuryFromText } from './viz.ts'
import { birthDateOnImage, inspectImage } from '../inspect.ts'
import { generateMrzSpecimen } from '../../specimen/index.ts'

const CANDIDATES: [string, string] = ['1915-06-08', '2015-06-08']

describe('centuryFromText', () => {
  it('takes the century of a date printed with its day, month and four-digit year', () => {
    for (const line of [
      '08 JUN 2015',
      '08JUN2015',
      '8 JUIN/JUN 2015',
      '08 JUN/JUIN 2015',
      '08.06.2015',
      '08/06/2015',
      '8.6.2015',
      '2015-06-08',
      'DATE OF BIRTH 08 06 2015',
    ]) {
      expect(centuryFromText([line], CANDIDATES), line).toBe('2015-06-08')
    }
    expect(centuryFromText(['SURNAME', '08 JUNE 1915'], CANDIDATES)).toBe('1915-06-08')
    expect(centuryFromText(['12 AUG/AOÛT 1974'], ['1874-08-12', '1974-08-12'])).toBe('1974-08-12')
  })

  it('takes nothing from a two-digit year, another day or month, or both centuries', () => {
    for (const lines of [
      ['08 JUN 15'],
      ['09 JUN 2015'],
      ['08 JUL 2015'],
      ['08.07.2015'],
      ['18.06.2015'],
      ['108 JUN 2015'],
      ['08 JUN 20150'],
      ['08 JUN 1915', '08 JUN 2015'],
      [],
    ]) {
      expect(centuryFromText(lines, CANDIDATES), lines.join(' | ')).toBeNull()
    }
  })
})

describe('the visual zone on an image', () => {
  const asOf = '2026-06-01'

  it('settles the century of a child’s visa from the date printed above the zone', async () => {
    // A generated visa of a holder born 8 June 2015: the MRZ's 150608 fits 1915 too.
    const s = await generateMrzSpecimen(520998884, { format: 'MRVB', asOf })
    expect(s.identity.dateOfBirth).toBe('2015-06-08')
    const r = await inspectImage(s.image, { asOf })
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.person.dateOfBirth).toBe('2015-06-08')
    expect(r.person.dateOfBirthCandidates).toBeUndefined()
    expect(r.ageYears).toBe(10)
    expect(r.checks).toEqual({ vizBirthDate: true })

    // The same visa with its visual zone painted over: the century stays open.
    const { width, height } = await sharp(s.image).metadata()
    const cover = await sharp({
      create: { width, height: Math.round(height * 0.7), channels: 3, background: '#ffffff' },
    })
      .png()
      .toBuffer()
    const covered = await sharp(s.image)
      .composite([{ input: cover, left: 0, top: 0 }])
      .png()
      .toBuffer()
    const open = await inspectImage(covered, { asOf })
    expect(open.ok && open.person.dateOfBirthCandidates).toEqual(['1915-06-08', '2015-06-08'])
    expect(open.ok && open.person.dateOfBirth).toBeNull()
    expect(open.ok && open.checks).toBeUndefined()
  }, 60_000)

  it('settles it from an ID card’s front, askew or upside down, and not from a blank page', async () => {
    // The front of a generated ID card (no MRZ: that is on the back), turned a few degrees.
    let front = null
    for (let seed = 1; seed < 300; seed++) {
      const s = await generateMrzSpecimen(seed * 31, {
        format: 'TD1',
        side: 'front',
        asOf,
        degradations: ['rotation'],
      })
      if (Math.abs(s.parameters.rotation ?? 0) >= 4) {
        front = s
        break
      }
    }
    if (!front) throw new Error('no turned front')
    const born = front.identity.dateOfBirth
    const other = `${Number(born.slice(0, 4)) + (born < '2000' ? 100 : -100)}${born.slice(4)}`
    const candidates = [born, other].sort() as [string, string]
    expect(await birthDateOnImage(front.image, candidates)).toBe(born)
    const upsideDown = await sharp(front.image).rotate(180).png().toBuffer()
    expect(await birthDateOnImage(upsideDown, candidates)).toBe(born)
    const blank = await sharp({
      create: { width: 900, height: 600, channels: 3, background: '#ffffff' },
    })
      .png()
      .toBuffer()
    expect(await birthDateOnImage(blank, candidates)).toBeNull()
    expect(await birthDateOnImage(Buffer.from('not an image'), candidates)).toBeNull()
  }, 60_000)
})
