import { describe, expect, it } from 'vitest'
import { decodeBase64Field } from './base64.ts'

describe('decodeBase64Field', () => {
  const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0x00, 0x10, 0x83, 0xfe])
  it('decodes standard and URL-safe base64, padded or not, with whitespace and data: URLs', () => {
    const standard = bytes.toString('base64')
    const urlSafe = bytes.toString('base64url')
    expect(standard).toMatch(/[+/]/)
    expect(urlSafe).toMatch(/[-_]/)
    for (const text of [
      standard,
      standard.replace(/=+$/, ''),
      urlSafe,
      `${urlSafe}==`,
      ` ${standard.slice(0, 4)}\n${standard.slice(4)}\r\n`,
      `data:image/jpeg;base64,${standard}`,
    ]) {
      expect(decodeBase64Field(text, 'image'), text).toEqual(bytes)
    }
  })

  it('refuses anything else with a 400 naming the field', () => {
    for (const text of [
      '',
      '  ',
      'data:image/png;base64,',
      'abcde',
      'ab=c',
      'abc==',
      'ab+_',
      'ab*d',
      'abé=',
      'abcd=',
      'a===',
    ]) {
      expect(() => decodeBase64Field(text, 'image'), JSON.stringify(text)).toThrow(/image is/)
    }
  })
})
