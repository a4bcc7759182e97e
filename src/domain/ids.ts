import { randomBytes } from 'node:crypto'

export type IdPrefix =
  'ten' | 'key' | 'ver' | 'img' | 'evt' | 'req' | 'job' | 'whe' | 'del' | 'wf' | 'ses'

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'

/** Random base62 text of `length` characters (rejection sampling keeps it unbiased). */
export function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62]
    }
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
    value.length <= 64 &&
    new RegExp(`^${prefix}_[0-9A-Za-z]{6,60}$`).test(value)
  )
}
