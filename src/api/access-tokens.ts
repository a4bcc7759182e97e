// Short-lived access tokens for the verification-sessions API's `verify_access_token` security scheme: the OAuth 2.0
// client-credentials grant (RFC 6749 §4.4) exchanges a tenant API key for a JWT (RFC 9068
// shape, HS256 with a key derived from the instance secret). The token names the API key it was
// issued for, and every use checks that key is still active and its tenant still active, so
// revoking the key or deactivating the tenant ends its tokens at once.
import { randomBytes } from 'node:crypto'
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose'
import type { Deps } from '../deps.ts'
import type { ApiKey, Tenant } from '../domain/tenants.ts'
import { activeKeyById } from '../services/api-keys.ts'

/** RFC 9068 §2.1: the `typ` header of a JWT access token. */
const TOKEN_TYPE = 'at+jwt'
const AUDIENCE = 'loom:api'
const ALGORITHM = 'HS256'
/** Long enough for one verification session driven from a backend, short enough to leak little. */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
const MAX_TOKEN_LENGTH = 2048

type SigningDeps = Pick<Deps, 'sealer' | 'config' | 'clock'>
const signingKeys = new WeakMap<Deps['sealer'], Uint8Array>()

function signingKey(deps: SigningDeps): Uint8Array {
  let key = signingKeys.get(deps.sealer)
  if (key === undefined) {
    key = new Uint8Array(deps.sealer.deriveKey('access-tokens'))
    signingKeys.set(deps.sealer, key)
  }
  return key
}

/** Whether a presented credential has the shape of an access token (not an API key). */
export function looksLikeAccessToken(value: string): boolean {
  return value.length <= MAX_TOKEN_LENGTH && JWT_SHAPE.test(value)
}

/** Issues an access token for an active API key of a tenant. */
export async function issueAccessToken(
  deps: SigningDeps,
  apiKey: ApiKey,
): Promise<{ accessToken: string; expiresIn: number }> {
  const now = Math.floor(deps.clock.now().getTime() / 1000)
  const accessToken = await new SignJWT({ client_id: apiKey.tenantId, key_id: apiKey.id })
    .setProtectedHeader({ alg: ALGORITHM, typ: TOKEN_TYPE })
    .setIssuer(deps.config.publicUrl)
    .setAudience(AUDIENCE)
    .setSubject(apiKey.tenantId)
    .setIssuedAt(now)
    .setExpirationTime(now + ACCESS_TOKEN_TTL_SECONDS)
    .setJti(randomBytes(12).toString('base64url'))
    .sign(signingKey(deps))
  return { accessToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS }
}

/**
 * The key and tenant an access token stands for, or null when the token is forged, expired,
 * not ours, or its key was revoked or its tenant deactivated since it was issued.
 */
export async function authenticateAccessToken(
  deps: SigningDeps & Pick<Deps, 'store'>,
  token: string,
): Promise<{ apiKey: ApiKey; tenant: Tenant } | null> {
  if (!looksLikeAccessToken(token)) return null
  let claims: Record<string, unknown>
  try {
    const verified = await jwtVerify(token, signingKey(deps), {
      algorithms: [ALGORITHM],
      typ: TOKEN_TYPE,
      issuer: deps.config.publicUrl,
      audience: AUDIENCE,
      currentDate: deps.clock.now(),
      requiredClaims: ['sub', 'exp', 'iat'],
    })
    claims = verified.payload
  } catch (err) {
    // A bad token is an authentication failure (401), not an error; anything else is a bug.
    if (err instanceof joseErrors.JOSEError) return null
    throw err
  }
  const { sub, key_id: keyId } = claims
  if (typeof sub !== 'string' || typeof keyId !== 'string') return null
  return activeKeyById(deps, sub, keyId)
}
