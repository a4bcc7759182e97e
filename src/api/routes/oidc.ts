// POST /oidc/token: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) behind the verification-sessions API's
// `verify_access_token` scheme. The client is a tenant (client_id = tenant id) and its secret
// is one of the tenant's API keys; the answer is a 15-minute access token for that key.
// Errors are RFC 6749 §5.2's (`{error, error_description}`), rendered by the 'oauth' surface.
import { recordAuthFailure, refuseBlockedAddress } from '../brute-force.ts'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { typed } from '../typed.ts'
import { ApiError } from '../errors.ts'
import { issueAccessToken } from '../access-tokens.ts'

/** A token request is a few short parameters. */
const FORM_BODY_LIMIT = 8 * 1024

export const OAuthError = Type.Object(
  {
    error: Type.String({
      description:
        'RFC 6749 §5.2: invalid_request, invalid_client, unsupported_grant_type, server_error',
    }),
    error_description: Type.String(),
    request_id: Type.String(),
    retry_after_seconds: Type.Optional(Type.Integer()),
  },
  { $id: 'OAuthError', title: 'Error (OAuth token endpoint)' },
)

// RFC 6749 §3.2: unknown parameters are ignored, so the body is open.
const TokenBody = Type.Object({
  grant_type: Type.String({ minLength: 1, maxLength: 64 }),
  client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  client_secret: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  scope: Type.Optional(Type.String({ maxLength: 256 })),
})

const TokenReply = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the token expires' }),
})

/** RFC 6749 §5.2 error: the status comes from the native code, the word from `oauthError`. */
function oauthError(
  code: 'INVALID_REQUEST_BODY' | 'UNAUTHENTICATED_TENANT',
  oauthCode: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type',
  message: string,
  headers: Record<string, string> = {},
): ApiError {
  return new ApiError(code, message, { oauthError: oauthCode }, headers)
}

interface ClientCredentials {
  clientId: string | undefined
  clientSecret: string | undefined
  viaBasic: boolean
}

/**
 * RFC 6749 §2.3.1: HTTP Basic with the form-urlencoded id and secret, or both in the body; a
 * client must not use more than one method in one request.
 */
function clientCredentials(
  req: FastifyRequest,
  body: { client_id?: string | undefined; client_secret?: string | undefined },
): ClientCredentials {
  const authorization = req.headers.authorization
  const basic =
    typeof authorization === 'string' ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization) : null
  if (basic === null) {
    return { clientId: body.client_id, clientSecret: body.client_secret, viaBasic: false }
  }
  if (body.client_secret !== undefined) {
    throw oauthError(
      'INVALID_REQUEST_BODY',
      'invalid_request',
      'Send the client secret either with HTTP Basic or in the body, not both',
    )
  }
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) {
    throw oauthError(
      'INVALID_REQUEST_BODY',
      'invalid_request',
      'HTTP Basic credentials must be client_id:client_secret',
    )
  }
  return {
    clientId: formDecode(decoded.slice(0, colon)),
    clientSecret: formDecode(decoded.slice(colon + 1)),
    viaBasic: true,
  }
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch (err) {
    if (!(err instanceof URIError)) throw err
    throw oauthError(
      'INVALID_REQUEST_BODY',
      'invalid_request',
      'HTTP Basic credentials are not form-urlencoded',
    )
  }
}

/** The OAuth 2.0 token endpoint. */
export async function oidcRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  const { deps } = app
  // RFC 6749 §4.4.2 specifies form encoding; JSON (the app's default) is accepted too. Scoped to
  // this plugin: other routes still answer a form body with 415. A parameter sent twice stays an
  // array, which the schema refuses (§3.2: parameters must not be included more than once).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
    (_req, text, done) => {
      const params: Record<string, string | string[]> = {}
      for (const [name, value] of new URLSearchParams(String(text))) {
        const seen = params[name]
        params[name] = seen === undefined ? value : [...[seen].flat(), value]
      }
      done(null, params)
    },
  )

  app.post(
    '/oidc/token',
    {
      config: { auth: 'none', surface: 'oauth' },
      bodyLimit: FORM_BODY_LIMIT,
      schema: {
        tags: ['verification'],
        summary: 'Exchange a tenant API key for a 15-minute access token (client credentials)',
        description:
          'OAuth 2.0 client credentials (RFC 6749 §4.4): `grant_type=client_credentials`, `client_id` = tenant id (optional), `client_secret` = an API key of the tenant; form-encoded or JSON, or the pair as HTTP Basic. The token works as `Authorization: Bearer` on `/api/v1/verification/*` until it expires, its key is revoked or its tenant deactivated.',
        body: TokenBody,
        response: {
          200: TokenReply,
          400: { $ref: 'OAuthError#' },
          401: { $ref: 'OAuthError#' },
          413: { $ref: 'OAuthError#' },
          415: { $ref: 'OAuthError#' },
          429: { $ref: 'OAuthError#' },
        },
      },
    },
    async (req, reply) => {
      // Brute force: the same per-address budget as API-key authentication elsewhere.
      await refuseBlockedAddress(deps, req.ip)
      if (req.body.grant_type !== 'client_credentials') {
        throw oauthError(
          'INVALID_REQUEST_BODY',
          'unsupported_grant_type',
          'Only grant_type=client_credentials is supported',
        )
      }
      const client = clientCredentials(req, req.body)
      if (client.clientSecret === undefined) {
        throw oauthError(
          'INVALID_REQUEST_BODY',
          'invalid_request',
          'client_secret (a tenant API key) is required, in the body or with HTTP Basic',
        )
      }
      const found = await app.tenantAuth.authenticate(client.clientSecret)
      if (
        found === null ||
        (client.clientId !== undefined && client.clientId !== found.tenant.id)
      ) {
        await recordAuthFailure(deps, req.ip)
        // RFC 6749 §5.2: a client that tried HTTP Basic is told the scheme to use.
        throw oauthError(
          'UNAUTHENTICATED_TENANT',
          'invalid_client',
          'Unknown client, or the secret is not an active API key of that tenant',
          client.viaBasic ? { 'www-authenticate': 'Basic realm="loom"' } : {},
        )
      }
      req.tenant = found.tenant
      req.apiKey = found.apiKey
      req.loomEvent = 'access_token.issued'
      const { accessToken, expiresIn } = await issueAccessToken(deps, found.apiKey)
      // RFC 6749 §5.1: token responses are never cached.
      void reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
      return { access_token: accessToken, token_type: 'Bearer' as const, expires_in: expiresIn }
    },
  )
}
