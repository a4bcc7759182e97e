import { describe, expect, it } from 'vitest'
import { checkSessionToken, signSessionToken } from './session-links.ts'

const KEY = Buffer.alloc(32, 7)
const NOW = new Date('2030-01-01T00:00:00Z')
const LATER = new Date('2030-01-02T00:00:00Z')

describe('session link tokens', () => {
  it('accepts the token it signed, until it expires', () => {
    const token = signSessionToken(KEY, 'ver_0123456789abcdefghijkl', LATER)
    expect(checkSessionToken(KEY, token, NOW)).toMatchObject({
      ok: true,
      verificationId: 'ver_0123456789abcdefghijkl',
    })
    expect(checkSessionToken(KEY, token, LATER)).toMatchObject({ ok: false, reason: 'expired' })
    expect(checkSessionToken(Buffer.alloc(32, 8), token, NOW)).toEqual({
      ok: false,
      reason: 'invalid',
    })
  })

  it('refuses every other spelling of the same signature', () => {
    const token = signSessionToken(KEY, 'ver_0123456789abcdefghijkl', LATER)
    const dot = token.lastIndexOf('.')
    const mac = Buffer.from(token.slice(dot + 1), 'base64url')
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = token.at(-1)!
    const spellings = [
      `${token.slice(0, dot + 1)}${mac.toString('base64')}`, // standard alphabet, padded
      `${token}=`,
      `${token.slice(0, -1)}${alphabet[alphabet.indexOf(last) | 1]}`, // stray low bits
    ]
    for (const spelling of spellings) {
      if (spelling === token) continue
      expect(checkSessionToken(KEY, spelling, NOW), spelling).toEqual({
        ok: false,
        reason: 'invalid',
      })
    }
  })
})
