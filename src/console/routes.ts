// The console at /console: sign-in (tenant users, or the operator with the admin key), the
// verifications list and detail, the review queue, and the developers' and operator's pages.
// Sessions are cookies naming a row in the database (HttpOnly, SameSite=Strict, Secure behind
// TLS); every form carries the session's CSRF token; failed sign-ins count against the address
// like failed API keys. Another tenant's verification is a 404, as on the API.
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../deps.ts'
import { ApiError } from '../api/errors.ts'
import { DomainError } from '../domain/errors.ts'
import { statusFor } from '../api/surfaces.ts'
import { principalOf } from './accounts.ts'
import type { Permission, Principal } from './accounts.ts'
import { layout, mayDo, notice, translator } from './pages.ts'
import type { PageFrame } from './pages.ts'
import {
  CONSOLE_CSP,
  COOKIE,
  ConsoleHttp,
  FORM_BODY_LIMIT,
  cookiesOf,
  formOf,
  languageOf,
  sameText,
  selfPath,
  staticFile,
} from './http.ts'
import type { ConsoleContext, Form } from './http.ts'
import { signInRoutes } from './sign-in-routes.ts'
import { verificationRoutes } from './verification-routes.ts'
import { developerRoutes } from './developer-routes.ts'
import { workflowRoutes } from './workflow-routes.ts'
import { accountRoutes } from './account-routes.ts'
import { operatorRoutes } from './operator-routes.ts'
import { keyRoutes } from './key-routes.ts'
import { webhookRoutes } from './webhook-routes.ts'
import { checkListedRoute } from './route-list.ts'

export { CONSOLE_CSP }

declare module 'fastify' {
  interface FastifyRequest {
    consolePrincipal: Principal | null
  }
}

export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  const deps: Deps = app.deps
  const css = staticFile('console.css')
  const cssHash = createHash('sha256').update(css).digest('base64url').slice(0, 12)
  const stylesheet = `/console/static/console.css?v=${cssHash}`

  app.addHook('onRoute', (route) => checkListedRoute(route.method, route.url))
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
    (_req, body, done) => {
      const form: Form = {}
      for (const [k, v] of new URLSearchParams(body as string)) form[k] = v
      done(null, form)
    },
  )
  app.decorateRequest('consolePrincipal', null)

  app.addHook('onRequest', async (req, reply) => {
    void reply
      .header('content-security-policy', CONSOLE_CSP)
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'same-origin')
      .header('x-frame-options', 'DENY')
    const token = cookiesOf(req).get(COOKIE)
    if (token !== undefined && /^[A-Za-z0-9_-]{43}$/.test(token)) {
      req.consolePrincipal = await principalOf(deps, token)
    }
  })

  // Every POST but the sign-in forms (which have their own token) needs the session's token.
  app.addHook('preHandler', async (req) => {
    if (req.method !== 'POST') return
    const path = req.url.split('?')[0] ?? ''
    if (path === '/console/sign-in' || path === '/console/operator/sign-in') return
    if (path.startsWith('/console/invite/')) return
    const principal = req.consolePrincipal
    if (principal === null) throw new ConsoleHttp(303, null, '/console/sign-in')
    if (!sameText(formOf(req)._csrf ?? '', principal.session.csrfToken))
      throw new ConsoleHttp(403, 'error.csrf')
  })

  function frameOf(req: FastifyRequest): PageFrame {
    return {
      language: languageOf(req),
      principal: req.consolePrincipal,
      selfPath: selfPath(req),
      stylesheet,
    }
  }

  function send(
    req: FastifyRequest,
    reply: FastifyReply,
    title: string,
    body: string,
    status = 200,
  ) {
    return reply
      .status(status)
      .type('text/html; charset=utf-8')
      .send(layout(frameOf(req), title, body))
  }

  app.setErrorHandler((err: Error, req, reply) => {
    const t = translator(languageOf(req))
    if (err instanceof ConsoleHttp) {
      if (err.location !== null) return reply.status(err.status).redirect(err.location, err.status)
      return send(
        req,
        reply,
        t('error.title'),
        notice(t(err.key ?? 'error.not_found'), 'alert'),
        err.status,
      )
    }
    if (err instanceof DomainError) {
      if (err instanceof ApiError && err.code === 'AUTH_RATE_LIMITED') {
        for (const [name, value] of Object.entries(err.headers)) void reply.header(name, value)
        const seconds = err.headers['retry-after'] ?? ''
        return send(
          req,
          reply,
          t('signin.title'),
          notice(t('signin.limited', { seconds }), 'alert'),
          429,
        )
      }
      const status = statusFor('native', err.code)
      const text =
        status === 404 ? t('error.not_found') : t('error.bad_request', { message: err.message })
      return send(req, reply, t('error.title'), notice(text, 'alert'), status)
    }
    const status = (err as { statusCode?: number }).statusCode
    if (status !== undefined && status >= 400 && status < 500) {
      return send(
        req,
        reply,
        t('error.title'),
        notice(t('error.bad_request', { message: err.message }), 'alert'),
        status,
      )
    }
    req.log.error({ err, reqId: req.id }, 'unhandled error')
    return send(
      req,
      reply,
      t('error.title'),
      notice(t('error.server', { requestId: req.id }), 'alert'),
      500,
    )
  })

  app.setNotFoundHandler((req, reply) => {
    const t = translator(languageOf(req))
    return send(req, reply, t('error.title'), notice(t('error.not_found'), 'alert'), 404)
  })

  /** The signed-in tenant user, with the permission when one is named; else a redirect or 403. */
  function userOf(req: FastifyRequest, permission?: Permission) {
    const p = req.consolePrincipal
    if (p === null) throw new ConsoleHttp(303, null, '/console/sign-in')
    if (p.kind !== 'user') throw new ConsoleHttp(303, null, '/console/operator/tenants')
    if (permission !== undefined && !mayDo(p, permission))
      throw new ConsoleHttp(403, 'error.forbidden')
    return p
  }

  function operatorOf(req: FastifyRequest) {
    const p = req.consolePrincipal
    if (p === null || p.kind !== 'operator') throw new ConsoleHttp(303, null, '/console/sign-in')
    return p
  }

  app.get('/static/console.css', async (_req, reply) =>
    reply
      .type('text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(css),
  )

  app.get('/', async (req, reply) => {
    const p = req.consolePrincipal
    return reply.redirect(
      p === null
        ? '/console/sign-in'
        : p.kind === 'operator'
          ? '/console/operator/tenants'
          : '/console/verifications',
      303,
    )
  })

  const context: ConsoleContext = { deps, send, userOf, operatorOf }
  for (const area of [
    signInRoutes,
    verificationRoutes,
    developerRoutes,
    workflowRoutes,
    keyRoutes,
    webhookRoutes,
    accountRoutes,
    operatorRoutes,
  ])
    await app.register(area, { console: context })
}
