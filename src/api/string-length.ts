// minLength/maxLength for our Ajv instances: the same rule and messages as Ajv's, cheaper.
//
// JSON Schema counts a string's length in characters (code points), so Ajv walks the whole string
// on every check — twice for a field with both bounds. On POST /tokens/validate that walk over a
// ~600-character token was about a tenth of the server's instructions per request (callgrind).
// A string has at most as many code points as UTF-16 units and at least half as many, so the
// walk is needed only when the unit count alone cannot decide.
import { _, str } from 'ajv'
import type { CodeKeywordDefinition, KeywordCxt } from 'ajv'

/** Code points in `s` (a surrogate pair counts once), as JSON Schema counts length. */
export function codePoints(s: string): number {
  let count = 0
  for (let i = 0; i < s.length; i++) {
    count++
    const unit = s.charCodeAt(i)
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length) {
      if ((s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++
    }
  }
  return count
}

/** Replaces Ajv's `minLength`/`maxLength` (remove those keywords first). */
export const stringLengthKeywords: CodeKeywordDefinition = {
  keyword: ['maxLength', 'minLength'],
  type: 'string',
  schemaType: 'number',
  $data: true,
  error: {
    message: ({ keyword, schemaCode }) =>
      str`must NOT have ${keyword === 'maxLength' ? 'more' : 'fewer'} than ${schemaCode} characters`,
    params: ({ schemaCode }) => _`{limit: ${schemaCode}}`,
  },
  code(cxt: KeywordCxt) {
    const { keyword, data, schemaCode, gen } = cxt
    const count = gen.scopeValue('func', { ref: codePoints })
    cxt.fail$data(
      keyword === 'maxLength'
        ? _`${data}.length > ${schemaCode} && ${count}(${data}) > ${schemaCode}`
        : _`${data}.length < 2 * ${schemaCode} && ${count}(${data}) < ${schemaCode}`,
    )
  },
}
