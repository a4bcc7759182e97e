// The hosted page at `/s/<token>`: the HTML shell, its small JSON API (state, document choice,
// consent to the face check, image upload, cancel), its static assets and the embed script. Authentication is the signed session link in
// the path (never a tenant key); every answer carries a strict CSP, no-referrer (the link must
// not leak to the tenant's site) and no-store. Framing is allowed only to the origin of the
// session's redirect/callback URL, the one origin the page will post its outcome to.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { typed } from '../api/typed.ts'
import { ApiError } from '../api/errors.ts'
import { DomainError } from '../domain/errors.ts'
import { Nullable } from '../api/schemas.ts'
import { recordAuthFailure, refuseBlockedAddress } from '../api/brute-force.ts'
import { MAX_IMAGE_BYTES } from '../services/document-reads.ts'
import type { Deps } from '../deps.ts'
import { logoPathOf } from '../domain/tenants.ts'
import type { Tenant } from '../domain/tenants.ts'
import { pickLanguage } from './i18n.ts'
import type { Language } from './i18n.ts'
import { brandCss, renderProblem, renderShell } from './html.ts'
import type { Assets } from './html.ts'
import { sendAsset, sendCompressed } from './compressed.ts'
import { loadAssets } from './assets.ts'
import { handoffTarget } from './handoff.ts'
import { brandRoutes } from './brand-routes.ts'
import {
  PAGE_COST,
  addPageImage,
  cancelSession,
  declareDocument,
  embedOriginOf,
  finishOf,
  giveBiometricConsent,
  markOpened,
  openSessionLink,
  pageState,
  requireSession,
  spendSessionBudget,
} from './session.ts'
import type { PageSession } from './session.ts'
import { requireBiometricConsent } from './biometric-consent.ts'

/** The page's Content-Security-Policy: only Loom's own files, framed only by `embedOrigin`. */
export function pageCsp(embedOrigin: string | null): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${embedOrigin ?? "'none'"}`,
  ].join('; ')
}

export function pageHeaders(reply: FastifyReply, embedOrigin: string | null): void {
  void reply.header('content-security-policy', pageCsp(embedOrigin))
  void reply.header('referrer-policy', 'no-referrer')
  void reply.header('cache-control', 'no-store')
  void reply.header('x-content-type-options', 'nosniff')
  void reply.header('permissions-policy', 'camera=(self), microphone=(), geolocation=()')
  // Browsers that know frame-ancestors ignore X-Frame-Options; older ones get DENY when no
  // origin may frame the page (XFO cannot name one origin).
  if (embedOrigin === null) void reply.header('x-frame-options', 'DENY')
}

export const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) })
const ImageKindParam = Type.Enum(['document_front', 'document_back', 'selfie'])
const ImageKindList = Type.Array(ImageKindParam)

const FinishSchema = Type.Object({
  sessionId: Type.String(),
  status: Type.String({ description: 'success | failed | abandoned (the sessions API)' }),
  reason: Nullable(Type.String()),
  state: Nullable(Type.String()),
  redirectUrl: Nullable(Type.String()),
})
const PageStateSchema = Type.Object({
  sessionId: Type.String(),
  tenant: Type.Object({
    name: Type.String(),
    brandColor: Nullable(Type.String()),
    controllerName: Nullable(Type.String()),
    controllerContactUrl: Nullable(Type.String()),
    privacyNoticeUrl: Nullable(Type.String()),
  }),
  verificationType: Type.String(),
  requireSelfie: Type.Boolean(),
  faceCheck: Nullable(Type.Enum(['face_match', 'age_estimation'])),
  biometricConsent: Type.Boolean(),
  acceptedDocumentTypes: Nullable(Type.Array(Type.String())),
  documentChoices: Type.Array(Type.String()),
  declaredDocument: Nullable(Type.String()),
  status: Type.String(),
  missingImages: ImageKindList,
  doneImages: ImageKindList,
  rejectedBecause: Nullable(Type.String()),
  attempt: Type.Object({ number: Type.Integer(), max: Type.Integer() }),
  retryBecause: Nullable(Type.String()),
  finish: Nullable(FinishSchema),
  linkExpiresAt: Type.String(),
})
const UploadReply = Type.Object({
  feedback: Type.String(),
  message: Type.String(),
  missingImages: ImageKindList,
  doneImages: ImageKindList,
  complete: Type.Boolean(),
  status: Type.String(),
})
export const pageErrors = {
  400: { $ref: 'NativeError#' },
  404: { $ref: 'NativeError#' },
  409: { $ref: 'NativeError#' },
  410: { $ref: 'NativeError#' },
  413: { $ref: 'NativeError#' },
  429: { $ref: 'NativeError#' },
} as const

/** The request's path and query without `lang` (the language links add their own). */
function pathWithoutLang(url: string): string {
  const at = url.indexOf('?')
  if (at === -1) return url
  const params = new URLSearchParams(url.slice(at + 1))
  params.delete('lang')
  const query = params.toString()
  return query ? `${url.slice(0, at)}?${query}` : url.slice(0, at)
}

/**
 * The page's address for a phone taking over from a computer: the same link, built on the
 * configured public URL (never the request's Host header, which a client chooses).
 */
export function handoffUrlOf(deps: Deps, token: string): string {
  return `${deps.config.publicUrl}/s/${encodeURIComponent(token)}?handoff=1`
}

/** The session of a page API call; an unknown link counts as a failed authentication. */
export async function sessionFor(
  deps: Deps,
  req: FastifyRequest,
  token: string,
): Promise<PageSession> {
  await refuseBlockedAddress(deps, req.ip)
  try {
    return await requireSession(deps, token)
  } catch (err) {
    if (err instanceof DomainError && err.code === 'NOT_FOUND')
      await recordAuthFailure(deps, req.ip)
    throw err
  }
}

/** The hosted page's routes (registered by buildApp). */
export async function hostedPageRoutes(fastify: FastifyInstance): Promise<void> {
  const app = typed(fastify)
  const { deps } = app
  const assets = loadAssets()
  const assetUrls: Assets = {
    script: `/page/page.js?v=${assets['page.js'].hash}`,
    modules: [
      `/page/consent.js?v=${assets['consent.js'].hash}`,
      `/page/outcome.js?v=${assets['outcome.js'].hash}`,
    ],
    style: `/page/page.css?v=${assets['page.css'].hash}`,
  }
  // The capture steps, fetched by the page once the person consents (not on first load).
  const captureScript = `/page/capture.js?v=${assets['capture.js'].hash}`
  // The viewfinder and its live checks, fetched by the capture steps when they start.
  const cameraScript = `/page/camera.js?v=${assets['camera.js'].hash}`
  // The move to a phone, fetched only when the person chooses it.
  const handoffScript = `/page/handoff.js?v=${assets['handoff.js'].hash}`
  const config = { auth: 'none', surface: 'native' } as const

  function problemPage(
    reply: FastifyReply,
    status: number,
    language: Language,
    selfPath: string,
    problem: 'invalid' | 'expired' | 'busy',
    tenant: Tenant | null = null,
    returnUrl: string | null = null,
  ): FastifyReply {
    pageHeaders(reply, null)
    return reply
      .status(status)
      .type('text/html; charset=utf-8')
      .send(
        renderProblem({
          language,
          problem,
          tenantName: tenant?.name ?? null,
          brandColor: tenant?.brandColor ?? null,
          logoUrl: tenant === null ? null : logoPathOf(tenant),
          returnUrl,
          assets: assetUrls,
          selfPath,
        }),
      )
  }

  app.get(
    '/s/:token',
    {
      config,
      schema: {
        hide: true,
        params: TokenParams,
        // Other parameters are allowed: the sessions API's session_url carries redirect_url, for one.
        querystring: Type.Object({
          lang: Type.Optional(Type.String({ maxLength: 35 })),
          embed: Type.Optional(Type.String({ maxLength: 8 })),
          parent: Type.Optional(Type.String({ maxLength: 2048 })),
          handoff: Type.Optional(Type.String({ maxLength: 8 })),
        }),
      },
    },
    async (req, reply) => {
      const language = pickLanguage(req.query.lang, req.headers['accept-language'])
      const selfPath = pathWithoutLang(req.url)
      const busy = () => problemPage(reply, 429, language, selfPath, 'busy')
      try {
        await refuseBlockedAddress(deps, req.ip)
      } catch (err) {
        if (err instanceof DomainError) return busy()
        throw err
      }
      const opened = await openSessionLink(deps, req.params.token)
      if (!opened.ok) {
        if (opened.problem === 'invalid') {
          await recordAuthFailure(deps, req.ip)
          return problemPage(reply, 404, language, selfPath, 'invalid')
        }
        // A genuine link past its time: the person can still be sent back with session_expired.
        const { tenant, verification } = opened
        const returnUrl =
          verification === null
            ? null
            : finishOf(verification, { status: 'failed', reason: 'session_expired' }).redirectUrl
        return problemPage(reply, 410, language, selfPath, 'expired', tenant, returnUrl)
      }
      const { session } = opened
      try {
        await spendSessionBudget(deps, session.verification.id, PAGE_COST.read)
      } catch (err) {
        if (err instanceof DomainError) return busy()
        throw err
      }
      const embedOrigin = embedOriginOf(session.verification)
      // The page posts its outcome only to the origin it was told and that the session allows.
      const postTo =
        req.query.embed === '1' && embedOrigin !== null && req.query.parent === embedOrigin
          ? embedOrigin
          : null
      pageHeaders(reply, embedOrigin)
      const html = renderShell({
        language,
        tenantName: session.tenant.name,
        brandColor: session.tenant.brandColor,
        logoUrl: logoPathOf(session.tenant),
        assets: assetUrls,
        selfPath,
        boot: {
          base: `/s/${req.params.token}`,
          state: await pageState(deps, session),
          embedOrigin: postTo,
          captureScript,
          cameraScript,
          handoffScript,
          handoffUrl: handoffUrlOf(deps, req.params.token),
          // Opened from the code a computer showed: that computer takes the person back.
          handedOff: req.query.handoff === '1',
        },
      })
      return sendCompressed(
        reply.type('text/html; charset=utf-8'),
        req.headers['accept-encoding'],
        Buffer.from(html),
      )
    },
  )

  app.get(
    '/s/:token/state',
    {
      config,
      schema: {
        hide: true,
        params: TokenParams,
        response: { 200: PageStateSchema, ...pageErrors },
      },
    },
    async (req, reply) => {
      pageHeaders(reply, null)
      const session = await sessionFor(deps, req, req.params.token)
      await spendSessionBudget(deps, session.verification.id, PAGE_COST.read)
      return pageState(deps, await markOpened(deps, session))
    },
  )

  // A short link typed on a phone (handoff.ts): the session's page, as the phone that took over.
  app.get(
    '/h/:code',
    {
      config,
      schema: {
        hide: true,
        params: Type.Object({ code: Type.String({ minLength: 1, maxLength: 32 }) }),
        querystring: Type.Object({ lang: Type.Optional(Type.String({ maxLength: 35 })) }),
      },
    },
    async (req, reply) => {
      const language = pickLanguage(req.query.lang, req.headers['accept-language'])
      const selfPath = pathWithoutLang(req.url)
      try {
        await refuseBlockedAddress(deps, req.ip)
      } catch (err) {
        if (err instanceof DomainError) return problemPage(reply, 429, language, selfPath, 'busy')
        throw err
      }
      const target = await handoffTarget(deps, req.params.code)
      if (target === null) {
        await recordAuthFailure(deps, req.ip)
        return problemPage(reply, 404, language, selfPath, 'invalid')
      }
      pageHeaders(reply, null)
      return reply.redirect(target, 302)
    },
  )

  app.post(
    '/s/:token/cancel',
    {
      config,
      schema: {
        hide: true,
        params: TokenParams,
        response: { 200: PageStateSchema, ...pageErrors },
      },
    },
    async (req, reply) => {
      pageHeaders(reply, null)
      const session = await sessionFor(deps, req, req.params.token)
      await spendSessionBudget(deps, session.verification.id, PAGE_COST.read)
      req.loomEvent = 'verification.abandoned'
      return pageState(deps, await cancelSession(deps, session))
    },
  )

  app.post(
    '/s/:token/document',
    {
      config,
      schema: {
        hide: true,
        params: TokenParams,
        body: Type.Object(
          { type: Type.String({ minLength: 1, maxLength: 40 }) },
          { additionalProperties: false },
        ),
        response: { 200: PageStateSchema, ...pageErrors },
      },
    },
    async (req, reply) => {
      pageHeaders(reply, null)
      const session = await sessionFor(deps, req, req.params.token)
      await spendSessionBudget(deps, session.verification.id, PAGE_COST.read)
      return pageState(deps, await declareDocument(deps, session, req.body.type))
    },
  )

  // The person's consent to the face check, sent by the intro's Start (biometric-consent.ts).
  app.post(
    '/s/:token/consent',
    {
      config,
      schema: {
        hide: true,
        params: TokenParams,
        body: Type.Object({ biometric: Type.Literal(true) }, { additionalProperties: false }),
        response: { 200: PageStateSchema, ...pageErrors },
      },
    },
    async (req, reply) => {
      pageHeaders(reply, null)
      const session = await sessionFor(deps, req, req.params.token)
      await spendSessionBudget(deps, session.verification.id, PAGE_COST.read)
      return pageState(deps, await giveBiometricConsent(deps, session))
    },
  )

  // Images arrive as the raw bytes of the photo or file (any image type, PDF, or octet-stream);
  // the engine decides what they are. Parsed only in this scope.
  await app.register(async (scope) => {
    for (const type of ['application/octet-stream', 'application/pdf', /^image\/[\w.+-]+$/]) {
      scope.addContentTypeParser(
        type,
        { parseAs: 'buffer', bodyLimit: MAX_IMAGE_BYTES },
        (_req, body, done) => done(null, body),
      )
    }
    // The link is checked, and the session's budget spent, before the body is read: a bad or
    // exhausted link costs its sender nothing but the headers.
    const uploadSessions = new WeakMap<FastifyRequest, PageSession>()
    typed(scope).post(
      '/s/:token/images/:kind',
      {
        config,
        bodyLimit: MAX_IMAGE_BYTES,
        schema: {
          hide: true,
          params: Type.Object({ token: TokenParams.properties.token, kind: ImageKindParam }),
          response: { 200: UploadReply, ...pageErrors },
        },
        onRequest: async (req, reply) => {
          pageHeaders(reply, null)
          const session = await sessionFor(deps, req, req.params.token)
          await spendSessionBudget(deps, session.verification.id, PAGE_COST.upload)
          if (req.params.kind === 'selfie') requireBiometricConsent(session.verification)
          uploadSessions.set(req, session)
        },
      },
      async (req) => {
        const session = uploadSessions.get(req)
        if (session === undefined) throw new Error('upload without a checked session')
        const bytes: unknown = req.body
        if (!Buffer.isBuffer(bytes) || bytes.length === 0) {
          throw new ApiError('INVALID_REQUEST_BODY', 'Send the image bytes as the request body')
        }
        req.loomEvent = 'verification.image_added'
        return addPageImage(deps, session, req.params.kind, bytes)
      },
    )
  })

  for (const name of [
    'page.js',
    'consent.js',
    'outcome.js',
    'capture.js',
    'camera.js',
    'handoff.js',
    'page.css',
  ] as const) {
    app.get(
      `/page/${name}`,
      {
        config,
        schema: {
          hide: true,
          querystring: Type.Object({ v: Type.Optional(Type.String({ maxLength: 32 })) }),
        },
      },
      async (req, reply) =>
        sendAsset(reply, req.headers['accept-encoding'], assets[name], {
          // The page names its files with their content hash: that URL never changes content.
          immutable: req.query.v === assets[name].hash,
        }),
    )
  }
  // The tenant's colour as a stylesheet (a pure function of the colour, so it caches).
  app.get(
    '/page/theme.css',
    {
      config,
      schema: {
        hide: true,
        querystring: Type.Object({
          brand: Type.Optional(Type.String({ maxLength: 6, pattern: '^[0-9a-fA-F]{6}$' })),
        }),
      },
    },
    async (req, reply) => {
      void reply.header('x-content-type-options', 'nosniff')
      void reply.header('cache-control', 'public, max-age=86400')
      const css = req.query.brand === undefined ? '' : brandCss(`#${req.query.brand}`)
      return reply.type('text/css; charset=utf-8').send(css)
    },
  )
  // Without JavaScript the "Loading…" line goes (the noscript message says what to do).
  app.get('/page/noscript.css', { config, schema: { hide: true } }, async (_req, reply) => {
    void reply.header('x-content-type-options', 'nosniff')
    void reply.header('cache-control', 'public, max-age=86400')
    return reply.type('text/css; charset=utf-8').send('.loading{display:none}\n')
  })
  await app.register(brandRoutes)
  app.get('/embed.js', { config, schema: { hide: true } }, async (req, reply) =>
    sendAsset(reply, req.headers['accept-encoding'], assets['embed.js'], { crossOrigin: true }),
  )
}
