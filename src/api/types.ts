// What Loom adds to Fastify's request and route config.
import type { RequestLogWriter } from '../services/request-log.ts'
import type { ApiKey, Tenant } from '../domain/tenants.ts'
import type { Surface } from './surfaces.ts'
import type { Deps } from '../deps.ts'
import type { TenantAuthenticator } from './auth.ts'
import type { TokenLane } from './age-token-lane.ts'

export type RouteAuth = 'tenant' | 'admin' | 'none'

declare module 'fastify' {
  interface FastifyInstance {
    deps: Deps
    tenantAuth: TenantAuthenticator
    /** The fast path of POST /tokens/validate; null when LOOM_TOKEN_FAST_PATH is off. */
    tokenLane: TokenLane | null
    /** The admin request log's writer; flushed before the log is read so it shows every answered request. */
    requestLog: RequestLogWriter
  }
  interface FastifyContextConfig {
    /** Who may call the route; checked before the body is read. */
    auth?: RouteAuth
    /** Which API surface the route belongs to: decides the error body shape. */
    surface?: Surface
    /**
     * A tenant route that also accepts a short-lived access token from `POST /oidc/token` in
     * `Authorization: Bearer` (the verification-sessions API's `verify_access_token`), besides the API key itself.
     */
    acceptsAccessToken?: boolean
    /**
     * 'all' (default) keeps every request in the admin request log; 'failures' keeps only
     * 4xx/5xx — for the hot token-validation path, whose successes would flood the log.
     */
    requestLog?: 'all' | 'failures'
  }
  interface FastifyRequest {
    /**
     * The route's config, read once in onRequest: `routeOptions` builds a new object on every
     * read, and the per-request hooks need the config three times.
     */
    routeConfig: FastifyContextConfig | null
    tenant: Tenant | null
    apiKey: ApiKey | null
    /** A domain event name for the admin's request log (e.g. 'verification.started'). */
    loomEvent: string | null
  }
}
