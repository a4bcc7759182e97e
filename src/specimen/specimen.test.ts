import { describe, expect, it } from 'vitest'
import { inspectImage } from '../engine/inspect.ts'
import { parseMrz } from '../engine/mrz/parse.ts'
import { generateMrzSpecimen, MRZ_FORMATS } from './index.ts'

const asOf = '2026-06-01'

describe('specimen MRZ documents', () => {
  it('print MRZs whose check digits hold and whose fields are the identity', async () => {
    for (const [i, format] of MRZ_FORMATS.entries()) {
      const s = await generateMrzSpecimen(100 + i, { format, asOf, pxPerMm: 4 })
      const p = parseMrz({ lines: s.lines }, { asOf })
      expect(p.ok && p.mrz.valid).toBe(true)
      if (!p.ok) continue
      expect(p.mrz.format).toBe(format)
      // A child's two-digit birth year also fits a centenarian: the MRZ alone gives both.
      if (p.mrz.dateOfBirth === null) {
        expect(p.mrz.dateOfBirthCandidates).toContain(s.identity.dateOfBirth)
      } else {
        expect(p.mrz.dateOfBirth).toBe(s.identity.dateOfBirth)
      }
      if (format !== 'FRA_ID') {
        expect(p.mrz.expiryDate).toBe(s.identity.expiryDate)
        expect(p.mrz.documentNumber).toBe(s.identity.documentNumber)
      }
    }
  })

  it('are deterministic for a seed', async () => {
    const a = await generateMrzSpecimen(7, { format: 'TD3', asOf, pxPerMm: 4 })
    const b = await generateMrzSpecimen(7, { format: 'TD3', asOf, pxPerMm: 4 })
    expect(a.lines).toEqual(b.lines)
    expect(a.image.equals(b.image)).toBe(true)
  })

  it('include minors and expired documents', async () => {
    const ids = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        generateMrzSpecimen(500 + i, { format: 'TD2', asOf, pxPerMm: 2 }),
      ),
    )
    expect(ids.some((s) => s.identity.dateOfBirth > '2008-06-01')).toBe(true)
    expect(ids.some((s) => s.identity.expiryDate < asOf)).toBe(true)
  })
})

describe('reading specimens back', () => {
  it('reads a clean render of every format with every field right', async () => {
    for (const [i, format] of MRZ_FORMATS.entries()) {
      const s = await generateMrzSpecimen(200 + i, { format, asOf, pxPerMm: 9 })
      const r = await inspectImage(s.image, { asOf })
      expect(r.ok, `${format}: ${r.ok ? '' : r.error.message}`).toBe(true)
      if (!r.ok) continue
      expect(r.mrz?.lines).toEqual(s.lines)
      expect(r.person.dateOfBirth).toBe(s.identity.dateOfBirth)
    }
  })

  it('reads a rotated, upside-down JPEG photo on a background', async () => {
    const s = await generateMrzSpecimen(31, {
      format: 'TD1',
      asOf,
      degradations: ['background', 'rotation', 'upside_down', 'jpeg'],
    })
    const r = await inspectImage(s.image, { asOf })
    expect(r.ok && r.mrz?.lines).toEqual(s.lines)
  })

  it('finds no MRZ on the front of a TD1 card', async () => {
    const s = await generateMrzSpecimen(32, { format: 'TD1', asOf, side: 'front' })
    expect(s.lines).toEqual([])
    const r = await inspectImage(s.image, { asOf })
    expect(r.ok).toBe(false)
    if (!r.ok) {
      // Lines of print can pass for a barcode that does not decode: still no MRZ, and the
      // service treats a front that gave nothing alike (it asks for the back).
      expect([
        'MRZ_NOT_FOUND',
        'DOCUMENT_NOT_FOUND',
        'DOCUMENT_QUALITY_LOW',
        'BARCODE_UNREADABLE',
      ]).toContain(r.error.code)
    }
  })
})
