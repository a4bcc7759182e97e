import { describe, expect, it } from 'vitest'
import { SignJWT, base64url, exportJWK, generateKeyPair, jwtVerify, createLocalJWKSet } from 'jose'
import type { CryptoKey, JWK, JWTPayload } from 'jose'
import {
  TOKEN_ALG,
  TOKEN_AUDIENCE,
  checkAgeToken,
  mintAgeToken,
  verificationKeys,
} from './age-tokens.ts'

const ISSUER = 'https://loom.test'
const NOW = new Date('2030-06-01T12:00:00Z')
const NOW_S = NOW.getTime() / 1000

async function keyPair(kid: string): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALG, { extractable: true })
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: TOKEN_ALG, use: 'sig' } }
}

const signer = await keyPair('lk_a')
const stranger = await keyPair('lk_a') // same kid, another key
const keys = verificationKeys([signer.jwk])

const goodClaims = {
  iss: ISSUER,
  aud: TOKEN_AUDIENCE,
  sub: 'ver_1',
  jti: 'tok_1',
  iat: NOW_S - 60,
  exp: NOW_S + 3600,
  tid: 'ten_1',
  over18: true,
}

function sign(
  claims: JWTPayload,
  header: Record<string, unknown> = {},
  key: CryptoKey = signer.privateKey,
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: TOKEN_ALG, kid: 'lk_a', typ: 'JWT', ...header })
    .sign(key)
}

describe('checkAgeToken', () => {
  it('accepts a token Loom minted', async () => {
    const minted = await mintAgeToken(
      { kid: 'lk_a', privateKey: signer.privateKey },
      {
        issuer: ISSUER,
        verificationId: 'ver_1',
        tenantId: 'ten_1',
        livemode: true,
        method: 'document',
        verifiedAge: 30,
        ttlSeconds: 3600,
        now: NOW,
      },
    )
    const check = await checkAgeToken(minted.token, keys, ISSUER, NOW)
    expect(check).toMatchObject({
      ok: true,
      claims: { sub: 'ver_1', tid: 'ten_1', over18: true, livemode: true },
    })
  })

  it('mints only low-s signatures and refuses the high-s twin of one', async () => {
    const order = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
    let flipped = 0
    for (let i = 0; i < 24; i++) {
      const { token } = await mintAgeToken(
        { kid: 'lk_a', privateKey: signer.privateKey },
        {
          issuer: ISSUER,
          verificationId: `ver_${i}`,
          tenantId: 'ten_1',
          livemode: false,
          method: 'document+face',
          verifiedAge: 30,
          ttlSeconds: 3600,
          now: NOW,
        },
      )
      const dot = token.lastIndexOf('.')
      const signature = Buffer.from(token.slice(dot + 1), 'base64url')
      const s = BigInt(`0x${signature.subarray(32).toString('hex')}`)
      expect(s <= order >> 1n).toBe(true)
      expect((await checkAgeToken(token, keys, ISSUER, NOW)).ok).toBe(true)
      const high = Buffer.from((order - s).toString(16).padStart(64, '0'), 'hex')
      const twin = `${token.slice(0, dot + 1)}${Buffer.concat([signature.subarray(0, 32), high]).toString('base64url')}`
      // The twin verifies as ECDSA (jose takes it); Loom refuses it.
      const jwks = createLocalJWKSet({ keys: [signer.jwk] })
      expect(await jwtVerify(twin, jwks).then(() => true)).toBe(true)
      expect(await checkAgeToken(twin, keys, ISSUER, NOW)).toEqual({
        ok: false,
        reason: 'TOKEN_INVALID',
      })
      flipped++
    }
    expect(flipped).toBe(24)
  })

  it('refuses a signature spelled with stray bits in its last character', async () => {
    const { token } = await mintAgeToken(
      { kid: 'lk_a', privateKey: signer.privateKey },
      {
        issuer: ISSUER,
        verificationId: 'ver_1',
        tenantId: 'ten_1',
        livemode: true,
        method: 'document',
        verifiedAge: 30,
        ttlSeconds: 3600,
        now: NOW,
      },
    )
    // 64 bytes take 86 characters: the last one carries 2 bits and 4 that must be zero.
    const last = token.at(-1)!
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const stray = alphabet[alphabet.indexOf(last) | 1]!
    const altered = token.slice(0, -1) + stray
    expect(Buffer.from(altered.split('.')[2]!, 'base64url')).toEqual(
      Buffer.from(token.split('.')[2]!, 'base64url'),
    )
    expect(await checkAgeToken(altered, keys, ISSUER, NOW)).toEqual({
      ok: false,
      reason: 'TOKEN_INVALID',
    })
  })

  it('gives each bad token its reason', async () => {
    const good = await sign(goodClaims)
    const [header, payload] = good.split('.') as [string, string, string]
    const cases: [string, string | Promise<string>, string][] = [
      ['expired', sign({ ...goodClaims, exp: NOW_S }), 'TOKEN_EXPIRED'],
      ['unknown kid', sign(goodClaims, { kid: 'lk_other' }), 'TOKEN_UNKNOWN_KEY'],
      ['no kid', sign(goodClaims, { kid: undefined }), 'TOKEN_UNKNOWN_KEY'],
      ['another key under our kid', sign(goodClaims, {}, stranger.privateKey), 'TOKEN_INVALID'],
      ['other issuer', sign({ ...goodClaims, iss: 'https://evil.test' }), 'TOKEN_INVALID'],
      ['other audience', sign({ ...goodClaims, aud: 'api' }), 'TOKEN_INVALID'],
      ['not yet valid', sign({ ...goodClaims, nbf: NOW_S + 60 }), 'TOKEN_INVALID'],
      ['no jti', sign({ ...goodClaims, jti: undefined }), 'TOKEN_INVALID'],
      ['no exp', sign({ ...goodClaims, exp: undefined }), 'TOKEN_INVALID'],
      ['no tenant', sign({ ...goodClaims, tid: undefined }), 'TOKEN_INVALID'],
      ['livemode not a boolean', sign({ ...goodClaims, livemode: 'yes' }), 'TOKEN_INVALID'],
      ['critical extension', sign(goodClaims, { crit: ['b64'], b64: true }), 'TOKEN_INVALID'],
      [
        'alg none',
        `${base64url.encode('{"alg":"none","kid":"lk_a"}')}.${payload}.`,
        'TOKEN_INVALID',
      ],
      ['short signature', `${header}.${payload}.${'A'.repeat(85)}`, 'TOKEN_INVALID'],
      ['zero signature', `${header}.${payload}.${'A'.repeat(86)}`, 'TOKEN_INVALID'],
      [
        'header not JSON',
        `${base64url.encode('nope')}.${payload}.${'A'.repeat(86)}`,
        'TOKEN_INVALID',
      ],
      ['bad characters', `${header}.${payload}.${'+'.repeat(86)}`, 'TOKEN_INVALID'],
    ]
    for (const [what, token, reason] of cases) {
      const check = await checkAgeToken(await token, keys, ISSUER, NOW)
      expect(check, what).toEqual({ ok: false, reason })
    }
  })

  it('accepts an audience list that names ours', async () => {
    const token = await sign({ ...goodClaims, aud: ['other', TOKEN_AUDIENCE] })
    expect((await checkAgeToken(token, keys, ISSUER, NOW)).ok).toBe(true)
  })

  it('agrees with jose on every one-character change of a valid token', async () => {
    const token = await sign(goodClaims)
    const jwks = createLocalJWKSet({ keys: [signer.jwk] })
    const alphabet = 'AQgw_-.x'
    for (let i = 0; i < token.length; i += 7) {
      const altered = token.slice(0, i) + alphabet[i % alphabet.length] + token.slice(i + 1)
      const ours = (await checkAgeToken(altered, keys, ISSUER, NOW)).ok
      const jose = await jwtVerify(altered, jwks, {
        algorithms: [TOKEN_ALG],
        issuer: ISSUER,
        audience: TOKEN_AUDIENCE,
        currentDate: NOW,
        requiredClaims: ['sub', 'jti', 'exp', 'iat'],
      }).then(
        () => true,
        () => false,
      )
      expect(ours, `position ${i}`).toBe(jose)
    }
  })
})
