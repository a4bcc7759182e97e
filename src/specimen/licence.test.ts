import { describe, expect, it } from 'vitest'
import { parseAamvaPayload } from '../engine/aamva/parse.ts'
import { ageOn } from '../engine/types.ts'
import { ALL_DAMAGES, damagePayload, generateLicence } from './licence.ts'
import { generateLicenceImage, renderLicenceBack } from './licence-image.ts'

describe('generateLicence', () => {
  it('is deterministic', () => {
    expect(generateLicence(77)).toEqual(generateLicence(77))
    expect(generateLicence(77).payload).not.toBe(generateLicence(78).payload)
  })

  it('writes every version with a directory that matches the data', () => {
    for (let version = 0; version <= 10; version++) {
      const { payload, truth } = generateLicence(version + 1, { version })
      expect(payload.startsWith(version === 0 ? '@\n\x1e\rAAMVA' : '@\n\x1e\rANSI ')).toBe(true)
      const parsed = parseAamvaPayload(payload)
      if ('fail' in parsed) throw new Error(parsed.reason)
      expect(parsed.version).toBe(version)
      expect(parsed.jurisdictionVersion === null).toBe(version < 2)
      expect(parsed.repairs).toEqual([])
      expect(parsed.iin).toBe(truth.iin)
    }
  })

  it('writes Canadian dates as CCYYMMDD and US ones (version 02 on) as MMDDCCYY', () => {
    const ca = generateLicence(5, { version: 9, jurisdiction: 'QC' })
    expect(ca.truth.dateOrder).toBe('YMD')
    expect(ca.payload).toContain(`DBB${ca.truth.dateOfBirth.replaceAll('-', '')}`)
    const us = generateLicence(5, { version: 9, jurisdiction: 'TX' })
    const [y, m, d] = us.truth.dateOfBirth.split('-')
    expect(us.payload).toContain(`DBB${m}${d}${y}`)
  })

  it('makes holders of an exact age on the as-of day, minors included', () => {
    for (const age of [15, 17, 18, 20, 21, 45]) {
      const { truth } = generateLicence(age * 3, { age, asOf: '2026-06-01' })
      expect(ageOn(truth.dateOfBirth, '2026-06-01')).toBe(age)
    }
  })

  it('damages payloads in every known way', () => {
    const { payload } = generateLicence(9, { version: 8 })
    for (const damage of ALL_DAMAGES) expect(damagePayload(payload, damage)).not.toBe(payload)
  })
})

describe('renderLicenceBack and generateLicenceImage', () => {
  it('renders the same PNG for the same payload and seed', async () => {
    const { payload } = generateLicence(3)
    const a = await renderLicenceBack(payload, 3)
    expect(a.subarray(1, 4).toString()).toBe('PNG')
    expect(a.equals(await renderLicenceBack(payload, 3))).toBe(true)
  })

  it('photographs as JPEG when a quality is given', async () => {
    const s = await generateLicenceImage(4, {
      camera: { rotation: 12, scale: 0.7, jpegQuality: 75 },
    })
    expect(s.image[0]).toBe(0xff)
    expect(s.image[1]).toBe(0xd8)
  })
})
