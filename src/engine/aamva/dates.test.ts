import { describe, expect, it } from 'vitest'
import { expectedDateOrder, parseAamvaDate } from './dates.ts'

describe('parseAamvaDate', () => {
  it('reads MMDDCCYY (US, version 02 on)', () => {
    expect(parseAamvaDate('01021990')).toEqual({
      iso: '1990-01-02',
      order: 'MDY',
      hadSeparators: false,
    })
  })

  it('reads CCYYMMDD (Canada, version 01)', () => {
    expect(parseAamvaDate('19900102')).toEqual({
      iso: '1990-01-02',
      order: 'YMD',
      hadSeparators: false,
    })
  })

  it('tells the layouts apart even when day and month could swap', () => {
    expect(parseAamvaDate('12122012')?.iso).toBe('2012-12-12')
    expect(parseAamvaDate('20121212')?.iso).toBe('2012-12-12')
  })

  it('accepts separators between the parts and says so', () => {
    expect(parseAamvaDate('1990-01-02')).toEqual({
      iso: '1990-01-02',
      order: 'YMD',
      hadSeparators: true,
    })
    expect(parseAamvaDate('01/02/1990')).toEqual({
      iso: '1990-01-02',
      order: 'MDY',
      hadSeparators: true,
    })
  })

  it('rejects impossible and partial dates instead of guessing', () => {
    for (const v of [
      '02301990',
      '19900230',
      '0102199',
      '010219900',
      '13131990',
      '00000000',
      '',
      'ABCDEFGH',
      '99999999',
    ]) {
      expect(parseAamvaDate(v), v).toBeNull()
    }
  })

  it('takes a far-future year as written, in either layout', () => {
    expect(parseAamvaDate('01135000')).toEqual({
      iso: '5000-01-13',
      order: 'MDY',
      hadSeparators: false,
    })
    expect(parseAamvaDate('50000113')).toEqual({
      iso: '5000-01-13',
      order: 'YMD',
      hadSeparators: false,
    })
    expect(parseAamvaDate('12319999')?.iso).toBe('9999-12-31')
  })

  it('knows 29 February', () => {
    expect(parseAamvaDate('02292000')?.iso).toBe('2000-02-29')
    expect(parseAamvaDate('02291900')).toBeNull()
  })
})

describe('expectedDateOrder', () => {
  it('follows version and country', () => {
    expect(expectedDateOrder(1, 'USA')).toBe('YMD')
    expect(expectedDateOrder(8, 'USA')).toBe('MDY')
    expect(expectedDateOrder(8, 'CAN')).toBe('YMD')
    expect(expectedDateOrder(2, null)).toBe('MDY')
  })
})
