// Checking an age token without asking Loom: its ES256 signature against Loom's published keys
// (JWKS), and the claims Loom mints. What this cannot see is a revocation: for that, ask Loom
// (`tokens.validate`).
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors as joseErrors,
  jwtVerify,
} from 'jose'
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose'
import { ConnectionError } from './errors.ts'
import type { FetchLike } from './http.ts'
import type { AttestationMethod } from './types.ts'

/** Tokens are minted for this audience. */
export const TOKEN_AUDIENCE = 'age-verification'
const AGE_THRESHOLDS = [13, 16, 18, 21, 25] as const

/** The claims of a Loom age token: thresholds met, never a birth date or name. */
export interface AgeTokenClaims extends JWTPayload {
  /** The verification id. */
  sub: string
  /** The tenant id. */
  tid: string
  livemode?: boolean
  method?: AttestationMethod
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

export interface VerifyOfflineOptions {
  /** Loom's key set, e.g. `https://loom.example.com/.well-known/jwks.json` (fetched and cached). */
  jwksUrl?: string | URL
  /** Or the key set itself, as `/.well-known/jwks.json` serves it. */
  jwks?: JSONWebKeySet
  /** The `iss` to require (Loom's `LOOM_PUBLIC_URL`); not checked when absent. */
  issuer?: string
  /** The tenant id (`ten_…`) the token must belong to. */
  tenantId?: string
  /** Require a live (true) or test (false) token. */
  livemode?: boolean
  /** Seconds of clock difference tolerated on `exp`/`nbf` (default 0). */
  clockToleranceSeconds?: number
  /** The time to check against (default now). */
  currentDate?: Date
}

export type OfflineInvalidReason =
  'TOKEN_EXPIRED' | 'TOKEN_INVALID' | 'TENANT_MISMATCH' | 'LIVEMODE_MISMATCH'

/** The answer of an offline check, in the words of `tokens.validate`. */
export type OfflineTokenCheck =
  | {
      valid: true
      verificationId: string
      tenantId: string
      livemode: boolean | undefined
      method: AttestationMethod | undefined
      over18: boolean
      verifiedAge: number | undefined
      /** Age thresholds the token proves. */
      ageOver: number[]
      issuedAt: string
      expiresAt: string
      claims: AgeTokenClaims
    }
  | { valid: false; reason: OfflineInvalidReason }

/** The order of P-256's base point (SEC 2 §2.4.2); an ECDSA `s` and `n − s` both verify. */
const P256_HALF_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n >> 1n

/**
 * Loom mints only the low-s form of a signature and refuses its mirrored twin (so a token has one
 * spelling); an offline check refuses it as well, to agree with the server.
 */
function hasLowS(token: string): boolean {
  const signature = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url')
  if (signature.length !== 64) return false
  return BigInt(`0x${signature.subarray(32).toString('hex')}`) <= P256_HALF_ORDER
}

function hasLoomShape(claims: JWTPayload): claims is AgeTokenClaims {
  const c = claims as Record<string, unknown>
  return (
    typeof c.sub === 'string' &&
    typeof c.tid === 'string' &&
    typeof c.jti === 'string' &&
    typeof c.iat === 'number' &&
    typeof c.exp === 'number' &&
    typeof c.over18 === 'boolean' &&
    (c.livemode === undefined || typeof c.livemode === 'boolean') &&
    (c.verified_age === undefined || typeof c.verified_age === 'number')
  )
}

/** Caches the key-set resolvers, so keys are fetched once and refreshed on an unknown `kid`. */
export class KeySetCache {
  private readonly remote = new Map<string, JWTVerifyGetKey>()
  private readonly local = new WeakMap<JSONWebKeySet, JWTVerifyGetKey>()

  constructor(private readonly fetch: FetchLike | undefined) {}

  /** The resolver for a key set given by URL or by value. */
  resolver(source: { jwksUrl: string | URL } | { jwks: JSONWebKeySet }): JWTVerifyGetKey {
    if ('jwks' in source) {
      let found = this.local.get(source.jwks)
      if (found === undefined) {
        found = createLocalJWKSet(source.jwks)
        this.local.set(source.jwks, found)
      }
      return found
    }
    const url = new URL(source.jwksUrl)
    const key = url.toString()
    let found = this.remote.get(key)
    if (found === undefined) {
      const fetchImpl = this.fetch
      found = createRemoteJWKSet(url, {
        // Loom serves its keys with `max-age=300`; a token signed by a new key refetches at once.
        cacheMaxAge: 300_000,
        cooldownDuration: 30_000,
        ...(fetchImpl !== undefined && {
          [customFetch]: (input: string | URL | Request, init?: RequestInit) =>
            fetchImpl(String(input instanceof Request ? input.url : input), init ?? {}),
        }),
      })
      this.remote.set(key, found)
    }
    return found
  }
}

const defaultCache = new KeySetCache(undefined)

/**
 * Checks an age token offline: ES256 signature against Loom's JWKS, audience, expiry and the
 * claims Loom mints (and, when asked, issuer, tenant and mode). Cannot see revocations.
 * Throws only when the key set cannot be fetched.
 */
export async function verifyAgeToken(
  token: string,
  options: VerifyOfflineOptions,
  cache: KeySetCache = defaultCache,
): Promise<OfflineTokenCheck> {
  const source =
    options.jwks !== undefined
      ? { jwks: options.jwks }
      : options.jwksUrl !== undefined
        ? { jwksUrl: options.jwksUrl }
        : undefined
  if (source === undefined) throw new TypeError('verifyAgeToken needs jwksUrl or jwks')
  const invalid = { valid: false, reason: 'TOKEN_INVALID' } as const
  if (typeof token !== 'string' || token.length > 4096 || !hasLowS(token)) return invalid
  let payload: JWTPayload
  try {
    ;({ payload } = await jwtVerify(token, cache.resolver(source), {
      algorithms: ['ES256'],
      audience: TOKEN_AUDIENCE,
      ...(options.issuer !== undefined && { issuer: options.issuer }),
      ...(options.clockToleranceSeconds !== undefined && {
        clockTolerance: options.clockToleranceSeconds,
      }),
      ...(options.currentDate !== undefined && { currentDate: options.currentDate }),
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
    }))
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return { valid: false, reason: 'TOKEN_EXPIRED' }
    // The key set could not be fetched or read (jose throws its base class for a non-200 answer):
    // that says nothing about the token.
    if (
      !(err instanceof joseErrors.JOSEError) ||
      err.constructor === joseErrors.JOSEError ||
      err instanceof joseErrors.JWKSTimeout ||
      err instanceof joseErrors.JWKSInvalid
    ) {
      throw new ConnectionError({
        code: 'JWKS_UNAVAILABLE',
        message: `Could not get Loom's token keys: ${err instanceof Error ? err.message : String(err)}`,
        cause: err,
      })
    }
    return invalid
  }
  if (!hasLoomShape(payload)) return invalid
  if (options.tenantId !== undefined && payload.tid !== options.tenantId) {
    return { valid: false, reason: 'TENANT_MISMATCH' }
  }
  if (
    options.livemode !== undefined &&
    payload.livemode !== undefined &&
    payload.livemode !== options.livemode
  ) {
    return { valid: false, reason: 'LIVEMODE_MISMATCH' }
  }
  return {
    valid: true,
    verificationId: payload.sub,
    tenantId: payload.tid,
    livemode: payload.livemode,
    method: payload.method,
    over18: payload.over18,
    verifiedAge: payload.verified_age,
    ageOver: AGE_THRESHOLDS.filter((t) => payload[`age_over_${t}`] === true),
    issuedAt: new Date(payload.iat * 1000).toISOString(),
    expiresAt: new Date(payload.exp * 1000).toISOString(),
    claims: payload,
  }
}
