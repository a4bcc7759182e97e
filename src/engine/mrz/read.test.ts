// The MRZ reader on a document photographed on its side: the zone is found after a quarter turn.

import { describe, expect, it } from 'vitest'
import { decodeDocumentImage } from '../intake.ts'
import { generateMrzSpecimen } from '../../specimen/index.ts'
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
