import { randomBytes } from 'node:crypto'

export type IdPrefix =
  | 'ten'
  | 'key'
  | 'ver'
  | 'img'
  | 'evt'
  | 'req'
  | 'job'
  | 'whe'
  | 'del'
  | 'wf'
  | 'ses'
  | 'rev'
  | 'inv'
  | 'usr'
  | 'cse'
  | 'aud'

const ID_BODY = /^[0-9A-Za-z]{6,60}$/

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'

// Random bytes are drawn 4 KB at a time: ids are made on every request.
let pool = Buffer.alloc(0)
let poolAt = 0

function randomByte(): number {
  if (poolAt >= pool.length) {
    pool = randomBytes(4096)
    poolAt = 0
  }
  return pool[poolAt++] ?? 0
}

/** Random base62 text of `length` characters (rejection sampling keeps it unbiased). */
export function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    const byte = randomByte()
    if (byte < 248) out += ALPHABET[byte % 62]
  }
  return out
}

/** A new prefixed id such as `ver_3kT9…` (about 119 bits of randomness). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase62(20)}`
}

/** Whether `value` looks like an id of the given kind (cheap check before touching the store). */
export function isId(prefix: IdPrefix, value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.startsWith(`${prefix}_`) &&
    ID_BODY.test(value.slice(prefix.length + 1))
  )
}

let lastTime = 0
let sequence = 0

/**
 * An id that sorts by creation (within a process): 9 base36 characters of milliseconds, a
 * 4-character sequence for ids made in the same millisecond, then randomness.
 */
export function newSortableId(prefix: IdPrefix): string {
  const time = Date.now()
  sequence = time === lastTime ? sequence + 1 : 0
  lastTime = time
  const stamp = time.toString(36).padStart(9, '0') + sequence.toString(36).padStart(4, '0')
  return `${prefix}_${stamp}${randomBase62(12)}`
}

// Request ids need to be unique, not unguessable: a random per-process prefix and a counter.
const REQUEST_ID_PREFIX = `req_${randomBase62(10)}`
let requestCounter = 0

/** A new request id such as `req_Xk3…0001f` (made on every request, so without drawing randomness). */
export function newRequestId(): string {
  requestCounter = (requestCounter + 1) % Number.MAX_SAFE_INTEGER
  return REQUEST_ID_PREFIX + requestCounter.toString(36).padStart(6, '0')
}
