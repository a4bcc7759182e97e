// POST /tokens/validate's request and reply: the schemas and the shaping of an answer, shared by
// the Fastify route (routes/verify.ts) and the fast path that serves it off node:http
// (age-token-lane.ts), so the two cannot drift apart.
import { Type } from 'typebox'
import type { Static } from 'typebox'
import { IsoTime } from './schemas.ts'
import { MAX_TOKEN_LENGTH } from '../domain/age-tokens.ts'
import { ATTESTATION_METHODS } from '../domain/verification.ts'
import type { AgeTokenClaims } from '../domain/age-tokens.ts'
import type { InvalidReason, Validation } from '../services/age-tokens.ts'

export const TokenBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: MAX_TOKEN_LENGTH * 4 }) },
  { additionalProperties: false },
)

export const ValidateReply = Type.Object({
  valid: Type.Boolean(),
  reason: Type.Optional(
    Type.Union([
      Type.Literal('TOKEN_NOT_FOUND'),
      Type.Literal('TOKEN_EXPIRED'),
      Type.Literal('TOKEN_INVALID'),
      Type.Literal('TENANT_MISMATCH'),
      Type.Literal('LIVEMODE_MISMATCH'),
      Type.Literal('TOKEN_REVOKED'),
    ]),
  ),
  livemode: Type.Optional(
    Type.Boolean({
      description: 'Minted for a live verification (true) or a test one (false)',
    }),
  ),
  method: Type.Optional(
    Type.Enum(ATTESTATION_METHODS, {
      description:
        'What the age claims rest on: document, document+face, age_estimation, tenant_attested (the tenant’s own /verify/submit), manual_review (a reviewer settled it in the console), or mock (test mode)',
    }),
  ),
  over18: Type.Optional(Type.Boolean()),
  verificationId: Type.Optional(Type.String()),
  verifiedAge: Type.Optional(Type.Integer()),
  ageOver: Type.Optional(
    Type.Array(Type.Integer(), { description: 'Age thresholds the token proves' }),
  ),
  issuedAt: Type.Optional(IsoTime),
  expiresAt: Type.Optional(IsoTime),
})
export type ValidateReply = Static<typeof ValidateReply>

type ValidReply = ValidateReply & { valid: true }

function toValidReply(c: AgeTokenClaims): ValidReply {
  return {
    valid: true,
    livemode: c.livemode === true,
    ...(c.method !== undefined && { method: c.method }),
    over18: c.over18,
    verificationId: c.sub,
    ...(c.verified_age !== undefined && { verifiedAge: c.verified_age }),
    ageOver: [13, 16, 18, 21, 25].filter((t) => c[`age_over_${t}` as keyof typeof c] === true),
    issuedAt: new Date(c.iat * 1000).toISOString(),
    expiresAt: new Date(c.exp * 1000).toISOString(),
  }
}

/**
 * The answer to a validation. A valid answer depends only on the claims, which the token service
 * keeps (one object per token) while the token stays valid: it is shaped once per token, not on
 * every validation.
 */
export function validationReplies(
  count: (result: 'valid' | InvalidReason) => void = () => undefined,
): (result: Validation) => ValidateReply {
  const valid = new WeakMap<AgeTokenClaims, ValidReply>()
  return (result) => {
    count(result.valid ? 'valid' : result.reason)
    if (!result.valid) return { valid: false, over18: false, reason: result.reason }
    let reply = valid.get(result.claims)
    if (reply === undefined) {
      reply = toValidReply(result.claims)
      valid.set(result.claims, reply)
    }
    return reply
  }
}
