// Base64 image payloads as the documented APIs send them (optionally as a data: URL).
import { ApiError } from './errors.ts'

const DATA_URL = /^data:([a-z]+\/[a-z0-9.+-]+)?(;[a-z0-9=-]+)*;base64,/i

/** Character classes of RFC 4648 base64 (§4) and base64url (§5), and whitespace to skip. */
const STANDARD = 1
const URL_SAFE = 2
const BOTH = STANDARD | URL_SAFE
const SPACE = 4
const CLASS = new Uint8Array(128)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789') {
  CLASS[c.charCodeAt(0)] = BOTH
}
CLASS['+'.charCodeAt(0)] = STANDARD
CLASS['/'.charCodeAt(0)] = STANDARD
CLASS['-'.charCodeAt(0)] = URL_SAFE
CLASS['_'.charCodeAt(0)] = URL_SAFE
for (const c of ' \t\r\n\f\v') CLASS[c.charCodeAt(0)] = SPACE

/**
 * Decodes strict base64 (or base64url), whitespace allowed; anything else is a 400 naming the
 * field. One pass over the characters (images arrive as megabytes of it, on the event loop),
 * then Node's decoder.
 */
export function decodeBase64Field(value: string, field: string): Buffer {
  const prefix = DATA_URL.exec(value.slice(0, 200))?.[0].length ?? 0
  let alphabets = BOTH
  let data = 0
  let padding = 0
  let spaces = 0
  for (let i = prefix; i < value.length; i++) {
    const code = value.charCodeAt(i)
    const kind = code < 128 ? CLASS[code]! : 0
    if (kind === SPACE) {
      spaces++
      continue
    }
    if (code === 61 /* = */ && padding < 2) {
      padding++
      continue
    }
    // Nothing but whitespace after padding, and one alphabet throughout.
    alphabets &= kind
    if (padding > 0 || alphabets === 0) {
      throw new ApiError('INVALID_REQUEST_BODY', `${field} is not valid base64`)
    }
    data++
  }
  if (data === 0) throw new ApiError('INVALID_REQUEST_BODY', `${field} is empty`)
  if (data % 4 === 1 || (padding > 0 && (data + padding) % 4 !== 0)) {
    throw new ApiError('INVALID_REQUEST_BODY', `${field} is not valid base64`)
  }
  const body = prefix === 0 && spaces === 0 ? value : value.slice(prefix)
  // Node's decoder skips whitespace and takes either alphabet.
  return Buffer.from(body, alphabets === URL_SAFE ? 'base64url' : 'base64')
}
