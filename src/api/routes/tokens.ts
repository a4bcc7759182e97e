// The native API's age-token routes: /tokens/validate, /tokens/revoke and the JWKS that verifies
// tokens offline.
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { callerOf } from '../auth.ts'
import { typed } from '../typed.ts'
import { ApiError } from '../errors.ts'
import { IsoTime, Nullable } from '../schemas.ts'
import { loadVerification } from '../../services/verifications.ts'
import { MAX_TOKEN_LENGTH } from '../../domain/age-tokens.ts'
import { TokenBody, ValidateReply, validationReplies } from '../age-token-validation.ts'

const VerificationIdField = Type.String({ minLength: 1, maxLength: 64 })

const RevokeBody = Type.Object(
  {
    token: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_TOKEN_LENGTH * 4 })),
    verificationId: Type.Optional(VerificationIdField),
  },
  { additionalProperties: false, minProperties: 1, maxProperties: 1 },
)

const errors = {
  400: { $ref: 'NativeError#' },
  401: { $ref: 'NativeError#' },
  404: { $ref: 'NativeError#' },
  409: { $ref: 'NativeError#' },
  410: { $ref: 'NativeError#' },
  429: { $ref: 'NativeError#' },
} as const

/** The native age-token routes (validate, revoke) and the public keys. */
export async function tokenRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  const config = { auth: 'tenant', surface: 'native' } as const
  const security: { [name: string]: string[] }[] = [{ tenantKey: [] }, { bearer: [] }]
  const validationReply = validationReplies((result) =>
    app.deps.metrics.tokenValidations.inc({ result }),
  )

  app.post(
    '/tokens/validate',
    {
      config: { ...config, requestLog: 'failures' },
      schema: {
        tags: ['tokens'],
        security,
        summary: 'Validate an age token',
        description:
          'Always 200: `valid: false` with a reason (TOKEN_NOT_FOUND, TOKEN_EXPIRED, TOKEN_INVALID, TENANT_MISMATCH, LIVEMODE_MISMATCH, TOKEN_REVOKED) when it is not. A token validates only for a key of its own mode: a test key for test tokens, a live key for live ones.',
        body: TokenBody,
        response: {
          200: ValidateReply,
          400: { $ref: 'NativeError#' },
          401: { $ref: 'NativeError#' },
        },
      },
    },
    async (req) => {
      const { tenant, mode } = callerOf(req)
      return validationReply(
        await app.deps.tokens.validate(req.body.token, tenant.id, mode === 'live'),
      )
    },
  )

  app.post(
    '/tokens/revoke',
    {
      config,
      schema: {
        tags: ['tokens'],
        security,
        summary: 'Revoke one token, or every token of a verification',
        body: RevokeBody,
        response: {
          200: Type.Object({
            revoked: Type.Literal(true),
            tokenId: Nullable(Type.String()),
            verificationId: Type.String(),
            revokedAt: IsoTime,
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const caller = callerOf(req)
      const { tenant } = caller
      let revocation
      if (req.body.token !== undefined) {
        const claims = await app.deps.tokens.claimsOf(req.body.token)
        if (
          claims === null ||
          claims.tid !== tenant.id ||
          (claims.livemode !== undefined && claims.livemode !== (caller.mode === 'live'))
        ) {
          throw new ApiError(
            'INVALID_REQUEST_BODY',
            'token is not a valid, unexpired age token of this tenant in this mode (test or live)',
          )
        }
        revocation = await app.deps.tokens.revoke({
          tenantId: tenant.id,
          jti: claims.jti,
          tokenExpiresAt: new Date(claims.exp * 1000),
          verificationId: claims.sub,
          reason: 'revoked',
        })
        req.loomEvent = 'token.revoked'
        return {
          revoked: true as const,
          tokenId: claims.jti,
          verificationId: claims.sub,
          revokedAt: revocation.createdAt,
        }
      }
      const verification = await loadVerification(
        app.deps,
        callerOf(req),
        req.body.verificationId ?? '',
      )
      revocation = await app.deps.tokens.revoke({
        tenantId: tenant.id,
        verificationId: verification.id,
        reason: 'revoked',
      })
      req.loomEvent = 'token.revoked'
      return {
        revoked: true as const,
        tokenId: null,
        verificationId: verification.id,
        revokedAt: revocation.createdAt,
      }
    },
  )

  app.get(
    '/.well-known/jwks.json',
    {
      config: { auth: 'none', surface: 'native' },
      schema: {
        tags: ['tokens'],
        summary: 'Public keys that verify age tokens (ES256)',
        response: {
          200: Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
        },
      },
    },
    async (_req, reply) => {
      void reply.header('cache-control', 'public, max-age=300')
      return { keys: app.deps.tokens.publicJwks() }
    },
  )
}
