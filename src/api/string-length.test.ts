import { describe, expect, it } from 'vitest'
import { Ajv } from 'ajv'
import { codePoints, stringLengthKeywords } from './string-length.ts'

function ajvs(): { ours: Ajv; stock: Ajv } {
  const ours = new Ajv({ allErrors: false, strict: false })
  ours.removeKeyword('maxLength').removeKeyword('minLength').addKeyword(stringLengthKeywords)
  return { ours, stock: new Ajv({ allErrors: false, strict: false }) }
}

describe('string length keywords', () => {
  it('count code points as JSON Schema does', () => {
    expect(codePoints('')).toBe(0)
    expect(codePoints('abc')).toBe(3)
    expect(codePoints('😀😀')).toBe(2) // two surrogate pairs
    expect(codePoints('\ud800')).toBe(1) // a lone high surrogate
    expect(codePoints('\ud800a')).toBe(2)
    expect(codePoints('\udc00\ud800')).toBe(2)
  })

  it("decide and explain exactly as Ajv's own", () => {
    const { ours, stock } = ajvs()
    const samples = [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      '😀',
      '😀a',
      '😀😀',
      '😀😀😀',
      'é',
      '\ud800',
      'x'.repeat(9),
    ]
    for (const bounds of [
      { minLength: 1 },
      { maxLength: 2 },
      { minLength: 2, maxLength: 3 },
      { minLength: 3 },
      { maxLength: 0 },
    ]) {
      const schema = { type: 'object', properties: { s: { type: 'string', ...bounds } } }
      const mine = ours.compile(schema)
      const theirs = stock.compile(schema)
      for (const s of samples) {
        const what = `${JSON.stringify(bounds)} ${JSON.stringify(s)}`
        expect(mine({ s }), what).toBe(theirs({ s }))
        expect(mine.errors, what).toEqual(theirs.errors)
      }
    }
  })

  it('works with $data limits', () => {
    const ours = new Ajv({ $data: true, strict: false })
    ours.removeKeyword('maxLength').removeKeyword('minLength').addKeyword(stringLengthKeywords)
    const validate = ours.compile({
      type: 'object',
      properties: {
        max: { type: 'integer' },
        s: { type: 'string', maxLength: { $data: '1/max' } },
      },
    })
    expect(validate({ max: 2, s: '😀😀' })).toBe(true)
    expect(validate({ max: 1, s: '😀😀' })).toBe(false)
  })
})
