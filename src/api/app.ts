// Builds the Fastify app from Deps: error model, request ids, auth declared per route,
// request log, OpenAPI, every surface's routes, and the HTTP server that offers each request to
// the /tokens/validate fast path (token-lane.ts) before Fastify.
import http from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import Fastify, { LogController } from 'fastify'
import type {
  FastifyBaseLogger,
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
} from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import type { Deps } from '../deps.ts'
import { newId } from '../domain/ids.ts'
import { ApiError, NativeErrorBody } from './errors.ts'
import { errorAnswer, rateLimitExceeded, rateLimitHeaders, requestIdFor } from './responses.ts'
import type { NativeErrorCode } from './errors.ts'
import { renderError, statusFor } from './surfaces.ts'
import type { Surface } from './surfaces.ts'
import { TenantAuthenticator, adminKeyMatches, presentedApiKey } from './auth.ts'
import type { TenantKey } from './auth.ts'
import { authenticateAccessToken, looksLikeAccessToken } from './access-tokens.ts'
import { RequestLogWriter } from './request-log.ts'
import { redactUrl } from './redact.ts'
import { lazyChildLogger, parseJsonBody } from './hot-path.ts'
import { stringLengthKeywords } from './string-length.ts'
import { recordAuthFailure, refuseBlockedAddress } from './brute-force.ts'
import type { RateDecision } from '../limits.ts'
import type { Tenant } from '../domain/tenants.ts'
import { effectiveLimits } from '../domain/tenants.ts'
import { healthRoutes } from './routes/health.ts'
import { adminRoutes } from './routes/admin.ts'
import { verifyRoutes } from './routes/verify.ts'
import { usageRoutes } from './routes/usage.ts'
import { documentRoutes } from './routes/documents.ts'
import { v1VerifyRoutes } from './routes/v1-verify.ts'
import { webhookRoutes } from './routes/webhooks.ts'
import { adminJobRoutes } from './routes/admin-jobs.ts'
import { oidcRoutes } from './routes/oidc.ts'
import { verificationSessionRoutes } from './routes/verification-sessions.ts'
import { hostedPageRoutes } from '../web/routes.ts'
import { sessionRoutes } from './routes/sessions.ts'
import { createTokenLane } from './token-lane.ts'
import type { TokenLane } from './token-lane.ts'
import { TokenBody } from './token-validation.ts'
import type { Static } from 'typebox'
import './types.ts'

/** The app with TypeBox typing of route schemas. */
export function typed(app: FastifyInstance) {
  return app.withTypeProvider<TypeBoxTypeProvider>()
}
export type TypedApp = ReturnType<typeof typed>

declare module 'fastify' {
  interface FastifyInstance {
    deps: Deps
    tenantAuth: TenantAuthenticator
    /** The fast path of POST /tokens/validate; null when LOOM_TOKEN_FAST_PATH is off. */
    tokenLane: TokenLane | null
  }
}

/** Default body limit for JSON routes; image routes set their own from config. */
const JSON_BODY_LIMIT = 256 * 1024

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  })
  addFormats.default(ajv)
  ajv.removeKeyword('maxLength').removeKeyword('minLength').addKeyword(stringLengthKeywords)
  return ajv
}

function surfaceOf(req: FastifyRequest): Surface {
  const declared = (req.routeConfig ?? req.routeOptions.config).surface
  if (declared) return declared
  return req.url.startsWith('/v1/') ? 'v1' : 'native'
}

function sendError(
  req: FastifyRequest,
  reply: FastifyReply,
  code: NativeErrorCode,
  message: string,
  details?: Record<string, unknown>,
  headers: Record<string, string> = {},
): FastifyReply {
  for (const [name, value] of Object.entries(headers)) void reply.header(name, value)
  const surface = surfaceOf(req)
  return reply
    .status(statusFor(surface, code))
    .type('application/json; charset=utf-8')
    .send(renderError(surface, code, message, details, req.id))
}

/**
 * The HTTP/1.1 server Fastify would make (its timeouts and limits from Fastify's options), with
 * our own request listener.
 */
function httpServer(
  options: Record<string, unknown>,
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): http.Server {
  const server = http.createServer((options.http ?? {}) as http.ServerOptions, listener)
  server.keepAliveTimeout = options.keepAliveTimeout as number
  server.requestTimeout = options.requestTimeout as number
  server.setTimeout(options.connectionTimeout as number)
  const maxRequests = options.maxRequestsPerSocket as number | null | undefined
  if (maxRequests) server.maxRequestsPerSocket = maxRequests
  return server
}

/** Builds the HTTP app. Call `app.ready()` (or listen) before use. */
export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  // Typed as the default instance: pino's Logger is a FastifyBaseLogger.
  const logger: FastifyBaseLogger = deps.logger
  // The HTTP server offers each request to the token fast path first (set once the app is built).
  let lane: TokenLane | null = null
  let closing = false
  const app: FastifyInstance = Fastify({
    serverFactory: (handler, options) =>
      httpServer(options, (req, res) => {
        if (lane === null || !lane.serve(req, res)) handler(req, res)
      }),
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: JSON_BODY_LIMIT,
    trustProxy: deps.config.trustProxy,
    requestIdHeader: false,
    genReqId: (raw) => requestIdFor(raw.headers),
    // Fastify makes a child logger per request; most requests never log, so it is made only when
    // one does (pino's child() serializes its bindings: ~2 % of a /tokens/validate request).
    childLoggerFactory: (parent, bindings, options) => lazyChildLogger(parent, bindings, options),
    ajv: { customOptions: { removeAdditional: false } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    return503OnClosing: true,
  })
  const bodyAjv = makeAjv(false)
  const paramsAjv = makeAjv(true)
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : paramsAjv).compile(schema),
  )

  // JSON only (image routes add multipart): any other Content-Type is a clear 415.
  app.removeContentTypeParser('text/plain')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody)
  app.decorate('deps', deps)
  app.decorate('tenantAuth', new TenantAuthenticator(deps))
  app.decorate('tokenLane', null)
  app.addHook('preClose', (done) => {
    closing = true
    done()
  })
  app.addHook('onClose', async () => app.tenantAuth.close())
  app.decorateRequest('tenant', null)
  app.decorateRequest('apiKey', null)
  app.decorateRequest('loomEvent', null)
  app.decorateRequest('routeConfig', null)
  app.addSchema(NativeErrorBody)

  const requestLog = new RequestLogWriter(deps.store.db, deps.logger)
  app.addHook('onClose', async () => requestLog.flush())

  // The hooks below run on every request, so they are callback-style and go async only when they
  // must wait for something: a route without auth costs no promise, and the hot paths stay lean.
  app.addHook('onRequest', (req, reply, done) => {
    void reply.header('x-request-id', req.id)
    const config = req.routeOptions.config
    req.routeConfig = config
    const auth = config.auth ?? 'none'
    if (auth === 'none') return done()
    const acceptsAccessToken = config.acceptsAccessToken === true
    // The common case — an address seen clear this second, a key looked up in the last few
    // seconds — is answered from memory; only the rate limiter's answer is awaited.
    if (auth === 'tenant' && deps.limits.recentlyClear(req.ip)) {
      const found = tenantOf(presentedApiKey(req.headers), acceptsAccessToken)
      if (found !== null && !(found instanceof Promise)) {
        const limited = admit(req, reply, found)
        if (limited === undefined) return done()
        limited.then(() => done(), done)
        return
      }
    }
    authenticateRequest(req, reply, auth, acceptsAccessToken).then(() => done(), done)
  })

  async function authenticateRequest(
    req: FastifyRequest,
    reply: FastifyReply,
    auth: 'tenant' | 'admin',
    acceptsAccessToken: boolean,
  ): Promise<void> {
    if (!deps.limits.recentlyClear(req.ip)) await refuseBlockedAddress(deps, req.ip)
    if (auth === 'tenant') {
      const presented = presentedApiKey(req.headers)
      const lookup = tenantOf(presented, acceptsAccessToken)
      const found = lookup instanceof Promise ? await lookup : lookup
      if (found === null) {
        await recordAuthFailure(deps, req.ip)
        if (acceptsAccessToken) {
          // RFC 6750 §3: a resource server names the Bearer scheme when it refuses a request.
          throw new ApiError(
            'UNAUTHENTICATED_TENANT',
            'Missing, invalid or expired access token (POST /oidc/token) or API key, or the tenant is inactive',
            undefined,
            { 'www-authenticate': 'Bearer realm="loom"' },
          )
        }
        throw new ApiError(
          'UNAUTHENTICATED_TENANT',
          presented === null
            ? 'Missing tenant API key: send it in the x-tenant-api-key header'
            : 'Invalid or revoked API key, or the tenant is inactive',
        )
      }
      await admit(req, reply, found)
    } else if (!adminKeyMatches(req.headers['x-admin-key'], deps.adminKeyHash)) {
      await recordAuthFailure(deps, req.ip)
      throw new ApiError('UNAUTHENTICATED_ADMIN', 'Missing or invalid admin key (x-admin-key)')
    }
  }

  /** The key and tenant behind a presented credential; from memory when it can be. */
  function tenantOf(
    presented: string | null,
    acceptsAccessToken: boolean,
  ): TenantKey | null | Promise<TenantKey | null> {
    if (presented === null) return null
    if (acceptsAccessToken && looksLikeAccessToken(presented)) {
      return authenticateAccessToken(deps, presented)
    }
    const known = app.tenantAuth.cached(presented)
    return known !== undefined ? known : app.tenantAuth.authenticate(presented)
  }

  /** An authenticated tenant request: its tenant and key, then its rate limit (undefined: off). */
  function admit(
    req: FastifyRequest,
    reply: FastifyReply,
    found: TenantKey,
  ): Promise<void> | undefined {
    req.tenant = found.tenant
    req.apiKey = found.apiKey
    return enforceRateLimit(found.tenant, reply)
  }

  /** Counts the request against the tenant's rate limit; undefined when limits are off. */
  function enforceRateLimit(tenant: Tenant, reply: FastifyReply): Promise<void> | undefined {
    return consumeRateLimit(tenant)?.then((decision) => {
      if (decision === null) return
      for (const [name, value] of Object.entries(rateLimitHeaders(decision))) {
        void reply.header(name, value)
      }
      const exceeded = rateLimitExceeded(decision)
      if (exceeded) throw exceeded
    })
  }

  /**
   * One request against the tenant's rate limit: the decision, null when the limiter could not
   * answer (the request goes through unlimited, with a warning), undefined when limits are off.
   */
  function consumeRateLimit(tenant: Tenant): Promise<RateDecision | null> | undefined {
    if (!deps.config.rateLimitsEnabled) return undefined
    const limit = effectiveLimits(tenant).rateLimitPerMinute
    return deps.limits.consumeTenant(tenant.id, limit).catch((err: unknown) => {
      deps.logger.warn({ err }, 'rate limiter unavailable; request not limited')
      return null
    })
  }

  // Every body field of some routes is optional: a POST without a body is an empty object.
  app.addHook('preValidation', (req, _reply, done) => {
    if (req.body === undefined && req.method !== 'GET' && req.method !== 'HEAD') req.body = {}
    done()
  })

  app.addHook('onResponse', (req, reply, done) => {
    const config = req.routeConfig ?? req.routeOptions.config
    recordResponse(req, reply.statusCode, reply.elapsedTime, config.requestLog ?? 'all')
    done()
  })

  /** The info log line and the admin's request-log entry of an answered request. */
  function recordResponse(
    req: {
      id: string
      method: string
      url: string
      tenant: Tenant | null
      loomEvent: string | null
    },
    status: number,
    elapsedMs: number,
    kept: 'all' | 'failures',
  ): void {
    const logLine = deps.logger.isLevelEnabled('info')
    const keep = kept !== 'failures' || status >= 400
    if (!logLine && !keep) return
    const durationMs = Math.round(elapsedMs * 100) / 100
    const url = redactUrl(req.url)
    const tenantId = req.tenant?.id ?? null
    if (logLine) {
      deps.logger.info(
        { reqId: req.id, method: req.method, url, status, durationMs, tenantId },
        'request',
      )
    }
    if (keep && !url.startsWith('/docs')) {
      requestLog.push({
        id: newId('req'),
        requestId: req.id,
        time: deps.clock.now().toISOString(),
        method: req.method,
        url,
        status,
        durationMs,
        tenantId,
        event: req.loomEvent,
      })
    }
  }

  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    const answer = errorAnswer(err)
    if (answer.unexpected) req.log.error({ err, reqId: req.id }, 'unhandled error')
    return sendError(req, reply, answer.code, answer.message, answer.details, answer.headers)
  })

  app.setNotFoundHandler((req, reply) =>
    sendError(
      req,
      reply,
      'NOT_FOUND',
      `No route ${req.method} ${redactUrl(req.url).split('?')[0]}`,
    ),
  )

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Loom API',
        version: '0.1.0',
        description:
          'Self-hostable age and identity verification. Native surface (LoomAPI): /verify, /tokens, /admin, /health.',
      },
      components: {
        securitySchemes: {
          tenantKey: { type: 'apiKey', in: 'header', name: 'x-tenant-api-key' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          bearer: { type: 'http', scheme: 'bearer' },
          adminKey: { type: 'apiKey', in: 'header', name: 'x-admin-key' },
        },
      },
    },
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  await app.register(healthRoutes)
  await app.register(adminRoutes, { prefix: '/admin' })
  await app.register(verifyRoutes)
  await app.register(usageRoutes)
  await app.register(documentRoutes)
  await app.register(v1VerifyRoutes)
  await app.register(webhookRoutes)
  await app.register(adminJobRoutes, { prefix: '/admin' })
  await app.register(oidcRoutes)
  await app.register(verificationSessionRoutes)
  await app.register(hostedPageRoutes)
  await app.register(sessionRoutes)

  if (deps.config.tokenFastPath) {
    lane = createTokenLane({
      tokens: deps.tokens,
      limits: deps.limits,
      tenantAuth: app.tenantAuth,
      trustProxy: deps.config.trustProxy,
      bodyLimit: JSON_BODY_LIMIT,
      validateBody: bodyAjv.compile<Static<typeof TokenBody>>(TokenBody),
      consumeRateLimit,
      recordResponse,
      logUnexpected: (err, reqId) => deps.logger.error({ err, reqId }, 'unhandled error'),
      isClosing: () => closing,
    })
    app.tokenLane = lane
  }
  return app
}
