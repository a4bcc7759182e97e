// The visual zone's birth date settles a century the MRZ leaves open, and nothing else.

import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { centuryFromText } from './viz.ts'
import { inspectImage } from '../inspect.ts'
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
})
