// Builds the Fastify app from Deps: error model, request ids, auth declared per route,
// request log, OpenAPI, every surface's routes, and the HTTP server that offers each request to
// the /tokens/validate fast path (age-token-lane.ts) before Fastify.
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
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import type { Deps } from '../deps.ts'
import { newId } from '../domain/ids.ts'
import { ApiError, NativeErrorBody } from './errors.ts'
import type { DomainError } from '../domain/errors.ts'
import {
  DATABASE_OUTAGE,
  SHUTTING_DOWN,
  errorAnswer,
  rateLimitExceeded,
  rateLimitHeaders,
  requestIdFor,
} from './responses.ts'
import type { NativeErrorCode } from './errors.ts'
import { keyHeaderOf, renderError, statusFor } from './surfaces.ts'
import type { Surface } from './surfaces.ts'
import { TenantAuthenticator, adminKeyMatches, presentedAdminKey, presentedApiKey } from './auth.ts'
import type { TenantKey } from './auth.ts'
import { authenticateAccessToken, looksLikeAccessToken } from './access-tokens.ts'
import { RequestLogWriter } from '../services/request-log.ts'
import { redactUrl } from './redact.ts'
import { proxyTrustFunction } from './client-address.ts'
import { parseJsonBody } from './json-body.ts'
import { lazyChildLogger } from './request-logger.ts'
import { stringLengthKeywords } from './string-length.ts'
import { recordAuthFailure, refuseBlockedAddress } from './brute-force.ts'
import type { RateDecision } from '../limits.ts'
import type { Tenant } from '../domain/tenants.ts'
import { effectiveLimits } from '../domain/tenants.ts'
import { healthRoutes } from './routes/health.ts'
import { V1Error, v1VerifyRoutes } from './compat/v1/routes.ts'
import { SessionError, sessionRoutes } from './compat/sessions/routes.ts'
import { VerificationError, verificationSessionRoutes } from './compat/verification/routes.ts'
import { OAuthError } from './routes/oidc.ts'
import { adminRoutes } from './routes/admin.ts'
import { verifyRoutes } from './routes/verify.ts'
import { usageRoutes } from './routes/usage.ts'
import { documentRoutes } from './routes/documents.ts'
import { webhookRoutes } from './routes/webhooks.ts'
import { eventRoutes } from './routes/events.ts'
import { adminJobRoutes } from './routes/admin-jobs.ts'
import { oidcRoutes } from './routes/oidc.ts'
import { hostedPageRoutes } from '../web/routes.ts'
import { handoffRoutes } from '../web/handoff-routes.ts'
import { consoleRoutes } from '../console/routes.ts'
import { consoleAdminRoutes } from '../console/admin-routes.ts'
import { createTokenLane } from './age-token-lane.ts'
import type { TokenLane } from './age-token-lane.ts'
import { TokenBody } from './age-token-validation.ts'
import type { Static } from 'typebox'
import './types.ts'

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

/** Whether a parsed query or path-parameter object has a NUL in a key or value. */
function holdsNul(values: unknown): boolean {
  if (typeof values !== 'object' || values === null) return false
  for (const [key, value] of Object.entries(values)) {
    if (key.includes('\0')) return true
    if (
      typeof value === 'string'
        ? value.includes('\0')
        : Array.isArray(value) && value.some((v) => typeof v === 'string' && v.includes('\0'))
    ) {
      return true
    }
  }
  return false
}

/** Builds the HTTP app. Call `app.ready()` (or listen) before use. */
export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  // Typed as the default instance: pino's Logger is a FastifyBaseLogger.
  const logger: FastifyBaseLogger = deps.logger
  // The HTTP server offers each request to the token fast path first (set once the app is built).
  let lane: TokenLane | null = null
  let closing = false
  const trustProxy = proxyTrustFunction(deps.config.proxyTrust)
  const app: FastifyInstance = Fastify({
    serverFactory: (handler, options) =>
      httpServer(options, (req, res) => {
        if (lane === null || !lane.serve(req, res)) handler(req, res)
      }),
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: JSON_BODY_LIMIT,
    trustProxy,
    requestIdHeader: false,
    genReqId: (raw) => requestIdFor(raw.headers),
    // Fastify makes a child logger per request; most requests never log, so it is made only when
    // one does (pino's child() serializes its bindings: ~2 % of a /tokens/validate request).
    childLoggerFactory: (parent, bindings, options) => lazyChildLogger(parent, bindings, options),
    ajv: { customOptions: { removeAdditional: false } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Requests that still arrive while the server drains get our own 503 (onRequest below), in
    // the surface's error shape, not Fastify's.
    return503OnClosing: false,
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
  // Every surface's error body is added here, at the root: a plugin that adds a schema of its
  // own gets a new schema controller, and with it Fastify's default validator (which coerces
  // types: ["x"] would pass for "x") instead of the one set above.
  for (const schema of [NativeErrorBody, V1Error, SessionError, VerificationError, OAuthError]) {
    app.addSchema(schema)
  }

  const requestLog = new RequestLogWriter(deps.store.db, deps.logger)
  app.decorate('requestLog', requestLog)
  app.addHook('onClose', async () => requestLog.flush())

  // The hooks below run on every request, so they are callback-style and go async only when they
  // must wait for something: a route without auth costs no promise, and the hot paths stay lean.
  app.addHook('onRequest', (req, reply, done) => {
    // No content sniffing: every answer says what it is (JSON, an image, the hosted page).
    void reply.header('x-request-id', req.id).header('x-content-type-options', 'nosniff')
    if (closing) {
      const { code, message, headers } = SHUTTING_DOWN
      return done(new ApiError(code, message, undefined, headers))
    }
    const config = req.routeOptions.config
    req.routeConfig = config
    const auth = config.auth ?? 'none'
    if (auth === 'none') return done()
    const acceptsAccessToken = config.acceptsAccessToken === true
    // The common case — an address seen clear this second, a key looked up in the last few
    // seconds — is answered from memory; only the rate limiter's answer is awaited.
    let lookup: TenantKey | null | Promise<TenantKey | null> | undefined
    if (auth === 'tenant' && deps.limits.recentlyClear(req.ip)) {
      lookup = tenantOf(presentedApiKey(req.headers), acceptsAccessToken)
      if (lookup !== null && !(lookup instanceof Promise)) {
        const limited = admit(req, reply, lookup)
        if (limited === undefined) return done()
        limited.then(() => done(), done)
        return
      }
      // The store lookup under way is handed on, not started again; until it is awaited, its
      // failure (the database down) must not count as an unhandled rejection.
      if (lookup instanceof Promise) lookup.catch(() => undefined)
    }
    authenticateRequest(req, reply, auth, acceptsAccessToken, lookup).then(() => done(), done)
  })

  async function authenticateRequest(
    req: FastifyRequest,
    reply: FastifyReply,
    auth: 'tenant' | 'admin',
    acceptsAccessToken: boolean,
    started: TenantKey | null | Promise<TenantKey | null> | undefined,
  ): Promise<void> {
    if (!deps.limits.recentlyClear(req.ip)) await refuseBlockedAddress(deps, req.ip)
    if (auth === 'tenant') {
      const presented = presentedApiKey(req.headers)
      const found = await (started ?? tenantOf(presented, acceptsAccessToken))
      if (found === null) {
        await recordAuthFailure(deps, req.ip)
        if (acceptsAccessToken) {
          // RFC 6750 §3: a resource server names the Bearer scheme when it refuses a request.
          throw new ApiError(
            'UNAUTHENTICATED_TENANT',
            'Missing, invalid or expired access token (POST /oidc/token) or API key, or the tenant is inactive: send Authorization: Bearer <token or key>, or the key in the x-tenant-api-key header',
            undefined,
            { 'www-authenticate': 'Bearer realm="loom"' },
          )
        }
        throw new ApiError(
          'UNAUTHENTICATED_TENANT',
          presented === null
            ? `Missing API key: send it in ${keyHeaderOf(surfaceOf(req))}`
            : `Invalid or revoked API key, or the tenant is inactive (send a valid key in ${keyHeaderOf(surfaceOf(req))})`,
        )
      }
      await admit(req, reply, found)
    } else if (!adminKeyMatches(presentedAdminKey(req.headers), deps.adminKeyHash)) {
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

  // Every body field of some routes is optional: a POST without a body is an empty object. A
  // NUL in the path or query (`%00`) is refused here: no store can keep or compare one.
  app.addHook('preValidation', (req, _reply, done) => {
    if (req.body === undefined && req.method !== 'GET' && req.method !== 'HEAD') req.body = {}
    if (holdsNul(req.query) || holdsNul(req.params)) {
      return done(new ApiError('INVALID_PARAMETERS', 'Parameters may not contain NUL characters'))
    }
    done()
  })

  app.addHook('onResponse', (req, reply, done) => {
    const config = req.routeConfig ?? req.routeOptions.config
    const route = req.routeOptions.url ?? 'unmatched'
    recordResponse(req, route, reply.statusCode, reply.elapsedTime, config.requestLog ?? 'all')
    done()
  })

  /** The metrics, the info log line and the admin's request-log entry of an answered request. */
  function recordResponse(
    req: {
      id: string
      method: string
      url: string
      tenant: Tenant | null
      loomEvent: string | null
    },
    route: string,
    status: number,
    elapsedMs: number,
    kept: 'all' | 'failures',
  ): void {
    deps.metrics.httpRequests.inc({ method: req.method, route, status })
    deps.metrics.httpDuration.observe({ method: req.method, route }, elapsedMs / 1000)
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

  app.setErrorHandler((err: FastifyError | DomainError, req, reply) => {
    const outage = deps.store.isUnavailable(err)
    const answer = outage ? DATABASE_OUTAGE : errorAnswer(err)
    if (outage) req.log.warn({ reqId: req.id, err: String(err) }, 'database unavailable')
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
          'Self-hostable age and identity verification. Native API: /verify, /tokens, /admin, /health.',
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
  // Prometheus exposition, behind the admin key (x-admin-key, or a scraper's bearer token).
  app.get(
    '/metrics',
    {
      config: { auth: 'admin', surface: 'native', requestLog: 'failures' },
      schema: {
        tags: ['admin'],
        security: [{ adminKey: [] }, { bearer: [] }],
        summary:
          'Prometheus metrics: requests per route, engine tasks, job lag, webhook outcomes, database pool, token validations',
      },
    },
    async (_req, reply) => {
      const { contentType, body } = await deps.metrics.text()
      return reply.type(contentType).send(body)
    },
  )

  await app.register(healthRoutes)
  await app.register(adminRoutes, { prefix: '/admin' })
  await app.register(verifyRoutes)
  await app.register(usageRoutes)
  await app.register(documentRoutes)
  await app.register(v1VerifyRoutes)
  await app.register(webhookRoutes)
  await app.register(eventRoutes)
  await app.register(adminJobRoutes, { prefix: '/admin' })
  await app.register(oidcRoutes)
  await app.register(verificationSessionRoutes)
  await app.register(hostedPageRoutes)
  await app.register(handoffRoutes)
  await app.register(sessionRoutes)
  await app.register(consoleAdminRoutes, { prefix: '/admin' })
  await app.register(consoleRoutes, { prefix: '/console' })

  if (deps.config.tokenFastPath) {
    lane = createTokenLane({
      tokens: deps.tokens,
      limits: deps.limits,
      tenantAuth: app.tenantAuth,
      trustProxy,
      bodyLimit: JSON_BODY_LIMIT,
      validateBody: bodyAjv.compile<Static<typeof TokenBody>>(TokenBody),
      consumeRateLimit,
      recordResponse,
      countValidation: (result) => deps.metrics.tokenValidations.inc({ result }),
      logUnexpected: (err, reqId) => deps.logger.error({ err, reqId }, 'unhandled error'),
      isUnavailable: (err) => deps.store.isUnavailable(err),
      isClosing: () => closing,
    })
    app.tokenLane = lane
  }
  return app
}
