// Base64 image payloads as the seeds send them (optionally as a data: URL).
import { ApiError } from './errors.ts'

const DATA_URL = /^data:([a-z]+\/[a-z0-9.+-]+)?(;[a-z0-9=-]+)*;base64,/i
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/

/** Decodes strict base64 (or base64url); anything else is a 400 naming the field. */
export function decodeBase64Field(value: string, field: string): Buffer {
  const body = value.replace(DATA_URL, '').replace(/\s+/g, '')
  if (body.length === 0) throw new ApiError('INVALID_REQUEST_BODY', `${field} is empty`)
  if (body.length % 4 === 1 || !(BASE64.test(body) || BASE64URL.test(body))) {
    throw new ApiError('INVALID_REQUEST_BODY', `${field} is not valid base64`)
  }
  return Buffer.from(body, BASE64.test(body) ? 'base64' : 'base64url')
}
