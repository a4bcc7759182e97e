// Age tokens: ES256 JWTs that say which age thresholds hold — never a birth date, name or
// document number. Pure functions over keys; the keyring lives in store/.
import { SignJWT, errors, jwtVerify } from 'jose'
import type { CryptoKey, JWK, JWTPayload, JWTVerifyGetKey } from 'jose'
import { randomBase62 } from './ids.ts'
import { thresholdsMet } from './verification.ts'

export const TOKEN_AUDIENCE = 'age-verification'
export const TOKEN_ALG = 'ES256'
export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 3600
/** Longer strings are not tokens Loom minted (ours are well under 1 KB). */
export const MAX_TOKEN_LENGTH = 4096

export interface AgeTokenClaims extends JWTPayload {
  sub: string // verificationId
  tid: string // tenant id
  over18: boolean
  verified_age?: number
  age_over_13?: true
  age_over_16?: true
  age_over_18?: true
  age_over_21?: true
  age_over_25?: true
  jti: string
  iat: number
  exp: number
}

export interface MintInput {
  issuer: string
  verificationId: string
  tenantId: string
  verifiedAge: number | null
  ttlSeconds: number
  now: Date
}

/** Signs an age token; returns it with its id and expiry. */
export async function mintAgeToken(
  key: { kid: string; privateKey: CryptoKey },
  input: MintInput,
): Promise<{ token: string; jti: string; expiresAt: Date }> {
  const iat = Math.floor(input.now.getTime() / 1000)
  const exp = iat + input.ttlSeconds
  const jti = `tok_${randomBase62(22)}`
  const claims: Record<string, unknown> = {
    tid: input.tenantId,
    over18: input.verifiedAge !== null && input.verifiedAge >= 18,
    ...thresholdsMet(input.verifiedAge),
    ...(input.verifiedAge !== null && { verified_age: input.verifiedAge }),
  }
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: TOKEN_ALG, kid: key.kid, typ: 'JWT' })
    .setIssuer(input.issuer)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(input.verificationId)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(jti)
    .sign(key.privateKey)
  return { token, jti, expiresAt: new Date(exp * 1000) }
}

export type TokenCheck =
  | { ok: true; claims: AgeTokenClaims }
  | { ok: false; reason: 'TOKEN_EXPIRED' | 'TOKEN_INVALID' | 'TOKEN_UNKNOWN_KEY' }

/**
 * Verifies signature (ES256 only: `alg: none`, HS256 and friends are refused), issuer, audience
 * and expiry, and that the claims have the shape Loom mints.
 */
export async function checkAgeToken(
  token: string,
  keys: JWTVerifyGetKey,
  issuer: string,
  now: Date,
): Promise<TokenCheck> {
  if (token.length > MAX_TOKEN_LENGTH || token.split('.').length !== 3) {
    return { ok: false, reason: 'TOKEN_INVALID' }
  }
  try {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: [TOKEN_ALG],
      issuer,
      audience: TOKEN_AUDIENCE,
      currentDate: now,
      requiredClaims: ['sub', 'jti', 'exp', 'iat'],
    })
    if (typeof payload.tid !== 'string' || typeof payload.over18 !== 'boolean') {
      return { ok: false, reason: 'TOKEN_INVALID' }
    }
    return { ok: true, claims: payload as AgeTokenClaims }
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, reason: 'TOKEN_EXPIRED' }
    if (err instanceof errors.JWKSNoMatchingKey) return { ok: false, reason: 'TOKEN_UNKNOWN_KEY' }
    return { ok: false, reason: 'TOKEN_INVALID' }
  }
}

export type { JWK }
