// The console at /console: sign-in (tenant users, or the operator with the admin key), the
// verifications list and detail, the review queue, and the developers' and operator's pages.
// Sessions are cookies naming a row in the database (HttpOnly, SameSite=Strict, Secure behind
// TLS); every form carries the session's CSRF token; failed sign-ins count against the address
// like failed API keys. Another tenant's verification is a 404, as on the API.
import { existsSync, readFileSync } from 'node:fs'
import { createHash, timingSafeEqual } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../deps.ts'
import { ApiError } from '../api/errors.ts'
import { DomainError } from '../domain/errors.ts'
import { statusFor } from '../api/surfaces.ts'
import { adminKeyMatches } from '../api/auth.ts'
import { recordAuthFailure, refuseBlockedAddress } from '../api/brute-force.ts'
import { pickLanguage } from '../web/i18n.ts'
import { CONSOLE_LANGUAGES } from './messages.ts'
import type { ConsoleLanguage } from './messages.ts'
import { brandCss } from '../web/html.ts'
import { STATUSES, VERIFICATION_TYPES, REASONS, methodOf } from '../domain/verification.ts'
import {
  APPROVE_REASONS,
  REJECT_REASONS,
  ReviewError,
  consoleImage,
  findVerifications,
  settleReview,
  verificationDetail,
} from '../services/review.ts'
import type { VerificationRow, VerificationSearch } from '../services/review.ts'
import {
  CONSOLE_ROLES,
  ConsoleInputError,
  acceptInvitation,
  consoleUsers,
  createConsoleUser,
  enableTotp,
  invitedUser,
  newTotpSecret,
  principalOf,
  signInOperator,
  signInUser,
  signOut,
  signOutEverywhere,
  SESSION_MAX_MS,
} from './accounts.ts'
import type { Permission, Principal } from './accounts.ts'
import {
  csrfField,
  facts,
  h,
  input,
  layout,
  mayDo,
  notice,
  select,
  table,
  translator,
} from './pages.ts'
import type { PageFrame, T } from './pages.ts'
import { consoleTenants, tenantOverview } from './overview.ts'

const COOKIE = 'loom_console'
/** A sign-in form's own token (double-submit), so a sign-in cannot be forged either. */
const FORM_COOKIE = 'loom_console_form'
const PAGE_SIZE = 50
const FORM_BODY_LIMIT = 16 * 1024

declare module 'fastify' {
  interface FastifyRequest {
    consolePrincipal: Principal | null
  }
}

function staticFile(name: string): Buffer {
  const beside = fileURLToPath(new URL(`./static/${name}`, import.meta.url))
  if (existsSync(beside)) return readFileSync(beside)
  return readFileSync(fileURLToPath(new URL(`../../src/console/static/${name}`, import.meta.url)))
}

/** The console's Content-Security-Policy: its own stylesheet and images, nothing else. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** A console answer that is not a page: a redirect or an error page with its status. */
class ConsoleHttp extends Error {
  constructor(
    readonly status: number,
    readonly key: 'error.not_found' | 'error.forbidden' | 'error.csrf' | null,
    readonly location: string | null = null,
  ) {
    super(key ?? 'redirect')
  }
}

function cookiesOf(req: FastifyRequest): Map<string, string> {
  const jar = new Map<string, string>()
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=')
    if (at > 0) jar.set(part.slice(0, at).trim(), part.slice(at + 1).trim())
  }
  return jar
}

function cookie(req: FastifyRequest, name: string, value: string, maxAgeSeconds: number): string {
  const secure = req.protocol === 'https' ? '; Secure' : ''
  return `${name}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`
}

function sameText(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest()
  const y = createHash('sha256').update(b).digest()
  return timingSafeEqual(x, y) && a.length > 0
}

type Form = Record<string, string>

function formOf(req: FastifyRequest): Form {
  const body = req.body
  return typeof body === 'object' && body !== null ? (body as Form) : {}
}

function languageOf(req: FastifyRequest): ConsoleLanguage {
  const query = req.query as Record<string, string | undefined>
  return pickLanguage(query.lang, req.headers['accept-language'], CONSOLE_LANGUAGES)
}

function selfPath(req: FastifyRequest): string {
  const url = req.url
  const at = url.indexOf('?')
  if (at === -1) return url
  const params = new URLSearchParams(url.slice(at + 1))
  params.delete('lang')
  const rest = params.toString()
  return rest ? `${url.slice(0, at)}?${rest}` : url.slice(0, at)
}

/** Encodes a list cursor (created time and id of the last row). */
function cursorOf(row: VerificationRow): string {
  return Buffer.from(`${row.createdAt}|${row.id}`).toString('base64url')
}

function parseCursor(text: string | undefined): { createdAt: string; id: string } | undefined {
  if (text === undefined || text === '') return undefined
  const [createdAt, id] = Buffer.from(text, 'base64url').toString('utf8').split('|')
  if (!createdAt || !id || !/^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(createdAt)) {
    throw new ApiError('INVALID_PARAMETERS', 'after is not a cursor from this list')
  }
  return { createdAt, id }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/

function dayBound(text: string | undefined, name: string, next: boolean): string | undefined {
  if (text === undefined || text === '') return undefined
  if (!DAY.test(text) || Number.isNaN(Date.parse(text)))
    throw new ApiError('INVALID_PARAMETERS', `${name} must be a date YYYY-MM-DD`)
  const at = new Date(`${text}T00:00:00.000Z`)
  if (next) at.setUTCDate(at.getUTCDate() + 1)
  return at.toISOString()
}

function oneOf(
  text: string | undefined,
  allowed: readonly string[],
  name: string,
): string | undefined {
  if (text === undefined || text === '') return undefined
  if (!allowed.includes(text))
    throw new ApiError('INVALID_PARAMETERS', `${name} must be one of ${allowed.join(', ')}`)
  return text
}

/** Image bytes' real type (API uploads are stored as octet-stream), from their first bytes. */
function sniffImageType(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg'
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png'
  if (
    bytes.subarray(0, 4).toString('latin1') === 'RIFF' &&
    bytes.subarray(8, 12).toString('latin1') === 'WEBP'
  )
    return 'image/webp'
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf'
  return 'application/octet-stream'
}

function isoShort(iso: string | null): string {
  return iso === null ? '—' : iso.replace('T', ' ').slice(0, 19)
}

export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  const deps: Deps = app.deps
  const css = staticFile('console.css')
  const cssHash = createHash('sha256').update(css).digest('base64url').slice(0, 12)
  const stylesheet = `/console/static/console.css?v=${cssHash}`

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

  // ---- Sign-in, sign-out, invitations ----

  function signInPage(
    req: FastifyRequest,
    reply: FastifyReply,
    message: string | null,
    status = 200,
  ) {
    const t = translator(languageOf(req))
    const formToken = createHash('sha256').update(`${req.id}${Math.random()}`).digest('base64url')
    void reply.header('set-cookie', cookie(req, FORM_COOKIE, formToken, 3600))
    const field = `<input type="hidden" name="_form" value="${h(formToken)}">`
    const body = `${message === null ? '' : notice(message, 'alert')}
<form method="post" action="/console/sign-in" class="stack">${field}
${input('email', t('signin.email'), { type: 'email', required: true, autocomplete: 'username' })}
${input('password', t('signin.password'), { type: 'password', required: true, autocomplete: 'current-password' })}
${input('totp', t('signin.totp'), { autocomplete: 'one-time-code' })}
<button type="submit">${h(t('signin.submit'))}</button></form>
<h2>${h(t('signin.operator'))}</h2>
<form method="post" action="/console/operator/sign-in" class="stack">${field}
${input('adminKey', t('signin.admin_key'), { type: 'password', required: true, autocomplete: 'off' })}
<button type="submit">${h(t('signin.operator_submit'))}</button></form>`
    return send(req, reply, t('signin.title'), body, status)
  }

  function formTokenOk(req: FastifyRequest): boolean {
    return sameText(formOf(req)._form ?? '', cookiesOf(req).get(FORM_COOKIE) ?? '')
  }

  function startSession(req: FastifyRequest, reply: FastifyReply, token: string, to: string) {
    void reply.header('set-cookie', cookie(req, COOKIE, token, Math.floor(SESSION_MAX_MS / 1000)))
    return reply.redirect(to, 303)
  }

  app.get('/sign-in', async (req, reply) => signInPage(req, reply, null))

  app.post('/sign-in', async (req, reply) => {
    const t = translator(languageOf(req))
    await refuseBlockedAddress(deps, req.ip)
    if (!formTokenOk(req)) return signInPage(req, reply, t('signin.expired_form'), 403)
    const form = formOf(req)
    const outcome = await signInUser(deps, {
      email: form.email ?? '',
      password: (form.password ?? '').slice(0, 1000),
      totp: form.totp,
    })
    if (!outcome.ok) {
      if (outcome.reason === 'invalid') await recordAuthFailure(deps, req.ip)
      const key = outcome.reason === 'totp_required' ? 'signin.totp_required' : 'signin.invalid'
      return signInPage(req, reply, t(key), 401)
    }
    return startSession(req, reply, outcome.token, '/console/verifications')
  })

  app.post('/operator/sign-in', async (req, reply) => {
    const t = translator(languageOf(req))
    await refuseBlockedAddress(deps, req.ip)
    if (!formTokenOk(req)) return signInPage(req, reply, t('signin.expired_form'), 403)
    if (!adminKeyMatches(formOf(req).adminKey ?? '', deps.adminKeyHash)) {
      await recordAuthFailure(deps, req.ip)
      return signInPage(req, reply, t('signin.operator_invalid'), 401)
    }
    const { token } = await signInOperator(deps)
    return startSession(req, reply, token, '/console/operator/tenants')
  })

  app.post('/sign-out', async (req, reply) => {
    const p = req.consolePrincipal
    if (p !== null) await signOut(deps, p)
    void reply.header('set-cookie', cookie(req, COOKIE, '', 0))
    return reply.redirect('/console/sign-in', 303)
  })

  app.post('/sign-out-everywhere', async (req, reply) => {
    const p = userOf(req)
    await signOutEverywhere(deps, p.user)
    void reply.header('set-cookie', cookie(req, COOKIE, '', 0))
    return reply.redirect('/console/sign-in', 303)
  })

  app.get<{ Params: { token: string } }>('/invite/:token', async (req, reply) => {
    const t = translator(languageOf(req))
    const user = await invitedUser(deps, req.params.token)
    if (user === null)
      return send(req, reply, t('invite.title'), notice(t('invite.invalid'), 'alert'), 404)
    const body = `<p>${h(t('invite.lead', { email: user.email, role: t(`role.${user.role}`) }))}</p>
<form method="post" action="/console/invite/${h(req.params.token)}" class="stack">
${input('password', t('signin.password'), { type: 'password', required: true, autocomplete: 'new-password', hint: t('invite.password_hint') })}
<button type="submit">${h(t('invite.submit'))}</button></form>`
    return send(req, reply, t('invite.title'), body)
  })

  app.post<{ Params: { token: string } }>('/invite/:token', async (req, reply) => {
    const t = translator(languageOf(req))
    await refuseBlockedAddress(deps, req.ip)
    try {
      const user = await acceptInvitation(deps, req.params.token, formOf(req).password ?? '')
      if (user === null) {
        await recordAuthFailure(deps, req.ip)
        return send(req, reply, t('invite.title'), notice(t('invite.invalid'), 'alert'), 404)
      }
    } catch (err) {
      if (err instanceof ConsoleInputError)
        return send(req, reply, t('invite.title'), notice(t(`error.${err.code}`), 'alert'), 400)
      throw err
    }
    return send(
      req,
      reply,
      t('invite.title'),
      `${notice(t('invite.done'))}<p><a href="/console/sign-in">${h(t('signin.title'))}</a></p>`,
    )
  })

  // ---- Verifications ----

  function listTable(t: T, caption: string, rows: VerificationRow[]): string {
    return table(
      caption,
      [
        t('list.id'),
        t('list.status'),
        t('list.mode'),
        t('list.type'),
        t('list.reason'),
        t('list.external_id'),
        t('list.created'),
      ],
      rows.map((r) => [
        `<a href="/console/verifications/${h(r.id)}">${h(r.id)}</a>`,
        `<span class="status status-${h(r.status)}">${h(r.status)}</span>`,
        h(r.mode),
        h(r.verificationType),
        h(r.reasons.join(', ') || '—'),
        h(r.externalId ?? '—'),
        `<time datetime="${h(r.createdAt)}">${h(isoShort(r.createdAt))}</time>`,
      ]),
    )
  }

  app.get('/verifications', async (req, reply) => {
    const p = userOf(req)
    const t = translator(languageOf(req))
    const q = req.query as Record<string, string | undefined>
    const search: VerificationSearch = { limit: PAGE_SIZE }
    const status = oneOf(q.status, STATUSES, 'status')
    const mode = oneOf(q.mode, ['live', 'test'], 'mode')
    const type = oneOf(q.type, VERIFICATION_TYPES, 'type')
    const reason = oneOf(q.reason, [...REASONS, ...APPROVE_REASONS], 'reason')
    if (status) search.status = status
    if (mode) search.mode = mode
    if (type) search.verificationType = type
    if (reason) search.reason = reason
    if (q.externalId) {
      if (q.externalId.length > 200)
        throw new ApiError('INVALID_PARAMETERS', 'externalId is too long')
      search.externalId = q.externalId
    }
    const from = dayBound(q.from, 'from', false)
    const to = dayBound(q.to, 'to', true)
    if (from) search.from = from
    if (to) search.to = to
    const after = parseCursor(q.after)
    if (after) search.after = after
    const rows = await findVerifications(deps, p.tenant.id, search)
    const any: [string, string] = ['', t('list.any')]
    const filters = `<form method="get" action="/console/verifications" class="filters" aria-label="${h(t('list.filters'))}">
${select('status', t('list.status'), [any, ...STATUSES.map((s): [string, string] => [s, s])], status)}
${select('mode', t('list.mode'), [any, ['live', 'live'], ['test', 'test']], mode)}
${select('type', t('list.type'), [any, ...VERIFICATION_TYPES.map((s): [string, string] => [s, s])], type)}
${select('reason', t('list.reason'), [any, ...[...REASONS, ...APPROVE_REASONS].map((s): [string, string] => [s, s])], reason)}
${input('externalId', t('list.external_id'), { value: q.externalId ?? '' })}
${input('from', t('list.from'), { type: 'date', value: q.from ?? '' })}
${input('to', t('list.to'), { type: 'date', value: q.to ?? '' })}
<button type="submit">${h(t('list.apply'))}</button> <a href="/console/verifications">${h(t('list.reset'))}</a></form>`
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(q)) if (v && k !== 'after' && k !== 'lang') params.set(k, v)
    const last = rows.at(-1)
    const pager: string[] = []
    if (after)
      pager.push(
        `<a href="/console/verifications?${h(params.toString())}">${h(t('list.first'))}</a>`,
      )
    if (last && rows.length === PAGE_SIZE) {
      params.set('after', cursorOf(last))
      pager.push(
        `<a rel="next" href="/console/verifications?${h(params.toString())}">${h(t('list.next'))}</a>`,
      )
    }
    const body = `${filters}${rows.length === 0 ? `<p>${h(t('list.none'))}</p>` : listTable(t, t('list.caption'), rows)}<p class="pager">${pager.join(' ')}</p>`
    return send(req, reply, t('list.title'), body)
  })

  app.get('/review', async (req, reply) => {
    const p = userOf(req)
    const t = translator(languageOf(req))
    const q = req.query as Record<string, string | undefined>
    const after = parseCursor(q.after)
    const rows = await findVerifications(deps, p.tenant.id, {
      status: 'review',
      oldestFirst: true,
      limit: PAGE_SIZE,
      ...(after && { after }),
    })
    const last = rows.at(-1)
    const next =
      last && rows.length === PAGE_SIZE
        ? `<p class="pager"><a rel="next" href="/console/review?after=${h(cursorOf(last))}">${h(t('list.next'))}</a></p>`
        : ''
    const body =
      rows.length === 0
        ? `<p>${h(t('review.none'))}</p>`
        : listTable(t, t('review.caption'), rows) + next
    return send(req, reply, t('review.title'), body)
  })

  app.get<{ Params: { id: string } }>('/verifications/:id', async (req, reply) => {
    const p = userOf(req)
    const t = translator(languageOf(req))
    const personal = mayDo(p, 'personalData')
    const detail = await verificationDetail(deps, p.tenant.id, req.params.id, {
      actor: p.user.id,
      personal,
    })
    if (detail === null) throw new ConsoleHttp(404, 'error.not_found')
    const v = detail.verification
    const decision = v.decision
    const q = req.query as Record<string, string | undefined>
    const sections: string[] = []
    if (q.decided) sections.push(notice(t('decide.done', { status: v.status })))
    if (
      q.problem &&
      ['not_in_review', 'reason_invalid', 'age_unknown', 'underage'].includes(q.problem)
    )
      sections.push(notice(t(`decide.${q.problem as 'underage'}`), 'alert'))
    sections.push(
      `<section aria-labelledby="s-summary"><h2 id="s-summary">${h(t('detail.summary'))}</h2>${facts(
        [
          [t('list.status'), v.status],
          [t('list.mode'), v.mode],
          [t('list.type'), v.verificationType],
          [t('detail.min_age'), String(v.minAge)],
          [t('list.external_id'), v.externalId ?? '—'],
          [t('list.created'), isoShort(v.createdAt)],
          [t('list.completed'), isoShort(v.completedAt)],
          [t('detail.expires'), isoShort(v.expiresAt)],
        ],
      )}</section>`,
    )
    sections.push(
      `<section aria-labelledby="s-decision"><h2 id="s-decision">${h(t('detail.decision'))}</h2>${
        decision === null
          ? `<p>${h(t('detail.none'))}</p>`
          : facts([
              [t('list.status'), decision.status],
              [t('detail.reasons'), decision.reasons.join(', ') || '—'],
              [t('detail.confidence'), decision.confidence.toFixed(2)],
              [
                t('detail.verified_age'),
                decision.verifiedAge === null ? '—' : String(decision.verifiedAge),
              ],
              [t('detail.method'), methodOf(decision)],
            ])
      }</section>`,
    )
    if (v.status === 'review' && mayDo(p, 'decideReviews')) sections.push(decisionForm(p, t, v.id))
    // Checks and the face comparison hold no personal data; they are shown to every role.
    const checks = detail.checks
    const face = checks.filter((c) => c.name.includes('face'))
    sections.push(
      `<section aria-labelledby="s-checks"><h2 id="s-checks">${h(t('detail.checks'))}</h2>${
        checks.length === 0
          ? `<p>${h(t('detail.none'))}</p>`
          : table(
              t('detail.checks'),
              [t('detail.check'), t('detail.outcome'), ''],
              checks.map((c) => [
                h(c.name),
                `<span class="outcome outcome-${h(c.outcome)}">${h(c.outcome)}</span>`,
                h(c.detail ?? ''),
              ]),
            )
      }<h3>${h(t('detail.face'))}</h3>${
        face.length === 0
          ? `<p>${h(t('detail.face_none'))}</p>`
          : facts(face.map((c) => [c.name, `${c.outcome}${c.detail ? ` — ${c.detail}` : ''}`]))
      }</section>`,
    )
    sections.push(
      `<section aria-labelledby="s-fields"><h2 id="s-fields">${h(t('detail.fields'))}</h2>${fieldsOf(t, personal, detail.extracted)}</section>`,
    )
    sections.push(
      `<section aria-labelledby="s-images"><h2 id="s-images">${h(t('detail.images'))}</h2>${imagesOf(t, personal, v.id, detail.images)}</section>`,
    )
    sections.push(
      `<section aria-labelledby="s-timeline"><h2 id="s-timeline">${h(t('detail.timeline'))}</h2><ol class="timeline">${detail.events
        .map(
          (e) =>
            `<li><time datetime="${h(e.createdAt)}">${h(isoShort(e.createdAt))}</time> <code>${h(e.type)}</code>${typeof e.payload.status === 'string' ? ` — ${h(e.payload.status)}` : ''}</li>`,
        )
        .join('')}</ol></section>`,
    )
    if (personal) {
      sections.push(
        `<section aria-labelledby="s-audit"><h2 id="s-audit">${h(t('detail.audit'))}</h2><p>${h(t('detail.audit_note'))}</p><ul>${detail.audit
          .map(
            (a) =>
              `<li><time datetime="${h(a.createdAt)}">${h(isoShort(a.createdAt))}</time> ${h(a.actor)} <code>${h(a.action)}</code></li>`,
          )
          .join('')}</ul></section>`,
      )
    }
    return send(req, reply, t('detail.title', { id: v.id }), sections.join('\n'))
  })

  function decisionForm(p: Principal, t: T, id: string): string {
    const reasons = [
      ...APPROVE_REASONS.map((r): [string, string] => [r, `${t('decide.approve')}: ${r}`]),
      ...REJECT_REASONS.map((r): [string, string] => [r, `${t('decide.reject')}: ${r}`]),
    ]
    return `<section aria-labelledby="s-decide"><h2 id="s-decide">${h(t('decide.title'))}</h2>
<form method="post" action="/console/verifications/${h(id)}/decision" class="stack">${csrfField(p)}
<fieldset><legend>${h(t('decide.outcome'))}</legend>
<label><input type="radio" name="status" value="approved" required> ${h(t('decide.approve'))}</label>
<label><input type="radio" name="status" value="rejected"> ${h(t('decide.reject'))}</label></fieldset>
${select('reason', t('decide.reason'), reasons, undefined)}
${input('verifiedAge', t('decide.age'), { type: 'number' })}
<label for="f-note">${h(t('decide.note'))}</label><textarea id="f-note" name="note" rows="3" maxlength="2000"></textarea>
<button type="submit">${h(t('decide.submit'))}</button></form></section>`
  }

  app.post<{ Params: { id: string } }>('/verifications/:id/decision', async (req, reply) => {
    const p = userOf(req, 'decideReviews')
    const form = formOf(req)
    const status = form.status
    if (status !== 'approved' && status !== 'rejected')
      throw new ApiError('INVALID_REQUEST_BODY', 'status must be approved or rejected')
    const ageText = form.verifiedAge ?? ''
    if (ageText !== '' && !/^\d{1,3}$/.test(ageText))
      throw new ApiError('INVALID_REQUEST_BODY', 'verifiedAge must be a whole number of years')
    const base = `/console/verifications/${encodeURIComponent(req.params.id)}`
    try {
      await settleReview(
        deps,
        p.tenant,
        req.params.id,
        { id: p.user.id, email: p.user.email },
        {
          status,
          reason: form.reason ?? '',
          note: form.note ?? '',
          verifiedAge: ageText === '' ? undefined : Number(ageText),
        },
      )
    } catch (err) {
      if (err instanceof ReviewError) {
        if (err.code === 'not_found') throw new ConsoleHttp(404, 'error.not_found')
        return reply.redirect(`${base}?problem=${err.code}`, 303)
      }
      if (err instanceof DomainError && err.code === 'VERIFICATION_ALREADY_COMPLETED')
        return reply.redirect(`${base}?problem=not_in_review`, 303)
      throw err
    }
    return reply.redirect(`${base}?decided=1`, 303)
  })

  app.get<{ Params: { id: string; imageId: string } }>(
    '/verifications/:id/images/:imageId',
    async (req, reply) => {
      const p = userOf(req, 'personalData')
      const found = await consoleImage(
        deps,
        p.tenant.id,
        req.params.id,
        req.params.imageId,
        p.user.id,
      )
      if (found === null) throw new ConsoleHttp(404, 'error.not_found')
      return reply
        .type(sniffImageType(found.bytes))
        .header('cache-control', 'no-store')
        .header('content-disposition', 'inline')
        .send(found.bytes)
    },
  )

  // ---- Developers' and owners' pages ----

  app.get('/usage', async (req, reply) => {
    const p = userOf(req)
    const t = translator(languageOf(req))
    const o = await tenantOverview(deps, p.tenant)
    const body = facts([
      [t('usage.month'), String(o.monthUnits)],
      [t('usage.quota'), o.monthlyQuota === null ? t('usage.unlimited') : String(o.monthlyQuota)],
    ])
    return send(req, reply, t('usage.title'), body)
  })

  app.get('/keys', async (req, reply) => {
    const p = userOf(req, 'developers')
    const t = translator(languageOf(req))
    const o = await tenantOverview(deps, p.tenant)
    const body = table(
      t('keys.title'),
      [
        t('keys.prefix'),
        t('list.mode'),
        t('keys.name'),
        t('list.created'),
        t('keys.last_used'),
        t('list.status'),
      ],
      o.keys.map((k) => [
        `<code>${h(k.prefix)}…</code>`,
        h(k.mode),
        h(k.name ?? '—'),
        h(isoShort(k.createdAt)),
        h(isoShort(k.lastUsedAt)),
        h(
          k.revokedAt === null ? t('keys.active') : `${t('keys.revoked')} ${isoShort(k.revokedAt)}`,
        ),
      ]),
    )
    return send(req, reply, t('keys.title'), body)
  })

  app.get('/webhooks', async (req, reply) => {
    const p = userOf(req, 'developers')
    const t = translator(languageOf(req))
    const o = await tenantOverview(deps, p.tenant)
    const endpoints =
      o.endpoints.length === 0
        ? `<p>${h(t('webhooks.none'))}</p>`
        : table(
            t('webhooks.title'),
            [t('webhooks.url'), t('webhooks.enabled'), t('webhooks.events')],
            o.endpoints.map((e) => [
              h(e.url),
              h(e.enabled ? t('yes') : t('no')),
              h(e.eventTypes?.join(', ') ?? t('webhooks.all_events')),
            ]),
          )
    const deliveries = table(
      t('webhooks.deliveries'),
      [
        t('webhooks.event'),
        t('list.id'),
        t('list.status'),
        t('webhooks.attempts'),
        t('webhooks.status_code'),
        t('list.created'),
      ],
      o.deliveries.map((d) => [
        `<code>${h(d.eventType)}</code>`,
        `<a href="/console/verifications/${h(d.verificationId)}">${h(d.verificationId)}</a>`,
        h(d.status),
        h(String(d.attempts)),
        h(d.lastStatusCode === null ? '—' : String(d.lastStatusCode)),
        h(isoShort(d.createdAt)),
      ]),
    )
    return send(
      req,
      reply,
      t('webhooks.title'),
      `${endpoints}<h2>${h(t('webhooks.deliveries'))}</h2>${deliveries}`,
    )
  })

  app.get('/workflows', async (req, reply) => {
    const p = userOf(req, 'developers')
    const t = translator(languageOf(req))
    const o = await tenantOverview(deps, p.tenant)
    const body =
      o.workflows.length === 0
        ? `<p>${h(t('workflows.none'))}</p>`
        : table(
            t('workflows.title'),
            [
              t('list.id'),
              t('workflows.name'),
              t('list.type'),
              t('detail.min_age'),
              t('workflows.default'),
            ],
            o.workflows.map((w) => [
              `<code>${h(w.id)}</code>`,
              h(w.name),
              h(w.verificationType),
              h(String(w.minAge)),
              h(w.id === p.tenant.defaultWorkflowId ? t('yes') : t('no')),
            ]),
          )
    return send(req, reply, t('workflows.title'), body)
  })

  app.get('/branding', async (req, reply) => {
    const p = userOf(req, 'developers')
    const t = translator(languageOf(req))
    const colour = p.tenant.brandColor
    const body =
      colour === null || brandCss(colour) === ''
        ? `<p>${h(t('branding.none'))}</p>`
        : `${facts([[t('branding.colour'), colour]])}<h2>${h(t('branding.preview'))}</h2><link rel="stylesheet" href="/page/theme.css?brand=${h(colour.slice(1).toLowerCase())}"><div class="brand-preview"><button type="button" class="brand-button">${h(t('branding.preview_button'))}</button></div>`
    return send(req, reply, t('branding.title'), body)
  })

  app.get('/users', async (req, reply) => {
    const p = userOf(req, 'users')
    return usersPage(req, reply, p, null)
  })

  async function usersPage(
    req: FastifyRequest,
    reply: FastifyReply,
    p: Principal & { kind: 'user' },
    message: string | null,
    status = 200,
  ) {
    const t = translator(languageOf(req))
    const users = await consoleUsers(deps, p.tenant.id)
    const list = table(
      t('users.title'),
      [t('users.email'), t('users.role'), t('users.status')],
      users.map((u) => [
        h(u.email),
        h(t(`role.${u.role}`)),
        h(u.passwordHash === null ? t('users.invited') : t('users.active')),
      ]),
    )
    const form = `<h2>${h(t('users.invite'))}</h2><form method="post" action="/console/users" class="stack">${csrfField(p)}
${input('email', t('users.email'), { type: 'email', required: true })}
${select(
  'role',
  t('users.role'),
  CONSOLE_ROLES.map((r): [string, string] => [r, t(`role.${r}`)]),
  'viewer',
)}
<button type="submit">${h(t('users.invite'))}</button></form>`
    return send(req, reply, t('users.title'), `${message ?? ''}${list}${form}`, status)
  }

  app.post('/users', async (req, reply) => {
    const p = userOf(req, 'users')
    const t = translator(languageOf(req))
    const form = formOf(req)
    try {
      const created = await createConsoleUser(deps, {
        tenantId: p.tenant.id,
        email: form.email ?? '',
        role: form.role ?? '',
      })
      const link = `${deps.config.publicUrl}/console/invite/${created.inviteToken ?? ''}`
      return await usersPage(
        req,
        reply,
        p,
        `<div role="status" class="notice"><p>${h(t('users.invite_link', { email: created.user.email }))}</p><p><code>${h(link)}</code></p></div>`,
        201,
      )
    } catch (err) {
      if (err instanceof ConsoleInputError)
        return usersPage(req, reply, p, notice(t(`error.${err.code}`), 'alert'), 400)
      throw err
    }
  })

  app.get('/account', async (req, reply) => {
    const p = userOf(req)
    return accountPage(req, reply, p, null, newTotpSecret())
  })

  function accountPage(
    req: FastifyRequest,
    reply: FastifyReply,
    p: Principal & { kind: 'user' },
    message: string | null,
    secret: string,
    status = 200,
  ) {
    const t = translator(languageOf(req))
    const totp =
      p.user.totpSecretSealed !== null
        ? `<p>${h(t('account.totp_on'))}</p>`
        : `<p>${h(t('account.totp_secret'))}</p><p><code>${h(secret)}</code></p>
<form method="post" action="/console/account/totp" class="stack">${csrfField(p)}<input type="hidden" name="secret" value="${h(secret)}">
${input('code', t('account.totp_code'), { autocomplete: 'one-time-code', required: true })}
<button type="submit">${h(t('account.totp_enable'))}</button></form>`
    const body = `${message ?? ''}<p>${h(t('account.signed_in_as', { email: p.user.email, role: t(`role.${p.user.role}`), tenant: p.tenant.name }))}</p>
<h2>${h(t('account.totp'))}</h2>${totp}
<h2>${h(t('signout.everywhere'))}</h2><p>${h(t('signout.everywhere_lead'))}</p>
<form method="post" action="/console/sign-out-everywhere">${csrfField(p)}<button type="submit">${h(t('signout.everywhere'))}</button></form>`
    return send(req, reply, t('account.title'), body, status)
  }

  app.post('/account/totp', async (req, reply) => {
    const p = userOf(req)
    const t = translator(languageOf(req))
    const form = formOf(req)
    const secret = form.secret ?? ''
    if (!(await enableTotp(deps, p.user, secret, form.code ?? '')))
      return accountPage(req, reply, p, notice(t('account.totp_bad'), 'alert'), secret, 400)
    return reply.redirect('/console/account', 303)
  })

  // ---- Operator ----

  app.get('/operator/tenants', async (req, reply) => {
    operatorOf(req)
    const t = translator(languageOf(req))
    const tenants = await consoleTenants(deps)
    const body = `<p>${h(t('operator.signed_in'))}</p>${table(
      t('operator.title'),
      [
        t('list.id'),
        t('operator.name'),
        t('operator.plan'),
        t('operator.active'),
        t('operator.month_units'),
        t('usage.quota'),
      ],
      tenants.map((x) => [
        `<code>${h(x.id)}</code>`,
        h(x.name),
        h(x.plan),
        h(x.isActive ? t('yes') : t('no')),
        h(String(x.monthUnits)),
        h(x.monthlyQuota === null ? t('usage.unlimited') : String(x.monthlyQuota)),
      ]),
    )}`
    return send(req, reply, t('operator.title'), body)
  })
}

/** Renders the personal fields read from the document, for roles that may see them. */
function fieldsOf(
  t: T,
  personal: boolean,
  extracted: {
    person: Record<string, string | null> | null
    document: Record<string, string | null> | null
    documentType: string | null
  } | null,
): string {
  if (!personal) return `<p>${h(t('detail.fields_hidden'))}</p>`
  if (extracted === null || (extracted.person === null && extracted.document === null))
    return `<p>${h(t('detail.fields_none'))}</p>`
  const rows: [string, string][] = [[t('detail.document.type'), extracted.documentType ?? '—']]
  const person = extracted.person ?? {}
  const doc = extracted.document ?? {}
  for (const k of ['lastName', 'firstName', 'dateOfBirth', 'sex', 'nationality'] as const)
    rows.push([t(`detail.person.${k}`), person[k] ?? '—'])
  for (const k of ['number', 'issuer', 'expiryDate', 'issueDate'] as const)
    rows.push([t(`detail.document.${k}`), doc[k] ?? '—'])
  return `<div class="personal">${facts(rows)}</div>`
}

function imagesOf(
  t: T,
  personal: boolean,
  verificationId: string,
  images: { id: string; kind: string; purgedAt: string | null; blobKey: string | null }[],
): string {
  if (!personal) return `<p>${h(t('detail.images_hidden'))}</p>`
  const held = images.filter((i) => i.purgedAt === null && i.blobKey !== null)
  if (held.length === 0) return `<p>${h(t('detail.images_none'))}</p>`
  return `<ul class="images">${held
    .map((i) => {
      const src = `/console/verifications/${h(verificationId)}/images/${h(i.id)}`
      return `<li><figure><a href="${src}"><img src="${src}" alt="${h(t('detail.image_alt', { kind: i.kind }))}" loading="lazy"></a><figcaption>${h(i.kind)}</figcaption></figure></li>`
    })
    .join('')}</ul>`
}
