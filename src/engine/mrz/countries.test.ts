import { describe, expect, it } from 'vitest'
import { isMrzCountryCode } from './countries.ts'

describe('isMrzCountryCode (ICAO 9303-3 §5)', () => {
  it('knows ISO 3166 codes, ICAO specials and fillers', () => {
    expect(isMrzCountryCode('GRC')).toBe(true)
    expect(isMrzCountryCode('D<<')).toBe(true)
    expect(isMrzCountryCode('UTO')).toBe(true)
    expect(isMrzCountryCode('XXA')).toBe(true)
    expect(isMrzCountryCode('QRC')).toBe(false)
    expect(isMrzCountryCode('<<<')).toBe(false)
    expect(isMrzCountryCode('G<C')).toBe(false)
  })
})
