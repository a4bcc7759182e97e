// The branding page: the hosted page's colour (previewed, then saved), its logo (uploaded as a
// multipart form, re-encoded by the engine pool) and what it says about who holds the person's
// data (controller and privacy notice). Nothing here is personal data.
import multipart from '@fastify/multipart'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { brandCss } from '../web/html.ts'
import { changeTenant } from '../services/admin.ts'
import { MAX_LOGO_BYTES, removeTenantLogo, setTenantLogo } from '../services/tenant-logos.ts'
import { ApiError } from '../api/errors.ts'
import { DomainError } from '../domain/errors.ts'
import { statusFor } from '../api/surfaces.ts'
import { MAX_CONTROLLER_NAME_LENGTH, isTenantLink, logoPathOf } from '../domain/tenants.ts'
import type { TenantPatch } from '../services/admin.ts'
import { csrfField, facts, h, input, notice, translator } from './pages.ts'
import type { T } from './pages.ts'
import { formOf, languageOf } from './http.ts'
import type { ConsolePluginOptions, Form, UserPrincipal } from './http.ts'

const HEX_COLOUR = /^#[0-9a-f]{6}$/
/** The hosted page's own accent, offered as the starting point when no colour is set. */
const DEFAULT_BRAND = '#3b4cca'
/** Free text without control characters (as the admin API's Text fields). */
const PLAIN_TEXT = /^[^\p{Cc}\p{Cs}]*$/u

/** The privacy fields of the form: each empty field clears its setting; null when one is invalid. */
function privacyPatch(form: Form): TenantPatch | null {
  const value = (name: string) => (form[name] ?? '').trim() || null
  const controllerName = value('controllerName')
  const controllerContactUrl = value('controllerContactUrl')
  const privacyNoticeUrl = value('privacyNoticeUrl')
  const nameOk =
    controllerName === null ||
    (controllerName.length <= MAX_CONTROLLER_NAME_LENGTH && PLAIN_TEXT.test(controllerName))
  if (
    !nameOk ||
    (controllerContactUrl !== null && !isTenantLink(controllerContactUrl, 'controllerContact')) ||
    (privacyNoticeUrl !== null && !isTenantLink(privacyNoticeUrl, 'privacyNotice'))
  )
    return null
  return { controllerName, controllerContactUrl, privacyNoticeUrl }
}

export async function brandingRoutes(
  app: FastifyInstance,
  opts: ConsolePluginOptions,
): Promise<void> {
  const { deps, send, userOf } = opts.console

  app.get('/branding', async (req, reply) => {
    const p = userOf(req, 'developers')
    return brandingPage(req, reply, p, p.tenant.brandColor, null)
  })

  /** The logo, what the page says about the controller, and the colour, each with its form. */
  function brandingPage(
    req: FastifyRequest,
    reply: FastifyReply,
    p: UserPrincipal,
    shown: string | null,
    message: string | null,
    status = 200,
  ) {
    const t = translator(languageOf(req))
    const current = p.tenant.brandColor
    const colour = shown !== null && brandCss(shown) !== '' ? shown : null
    const logoUrl = logoPathOf(p.tenant)
    const preview =
      colour === null && logoUrl === null
        ? ''
        : `<h2>${h(t(colour === null || colour === current ? 'branding.preview' : 'branding.previewing', { colour: colour ?? '' }))}</h2>${colour === null ? '' : `<link rel="stylesheet" href="/page/theme.css?brand=${h(colour.slice(1).toLowerCase())}">`}<div class="brand-preview">${logoUrl === null ? '' : `<img class="brand-logo" src="${h(logoUrl)}" alt="${h(p.tenant.name)}">`}<button type="button" class="brand-button">${h(t('branding.preview_button'))}</button></div>`
    const form = `<h2>${h(t('branding.change'))}</h2><form method="post" action="/console/branding" class="stack">${csrfField(p)}
${input('colour', t('branding.colour'), { type: 'color', value: (shown ?? current ?? DEFAULT_BRAND).toLowerCase(), hint: t('branding.colour_hint') })}
<div class="actions"><button type="submit" name="action" value="preview">${h(t('branding.preview_action'))}</button><button type="submit" name="action" value="save">${h(t('branding.save'))}</button>${current === null ? '' : `<button type="submit" name="action" value="clear">${h(t('branding.clear'))}</button>`}</div></form>`
    const state =
      current === null
        ? `<p>${h(t('branding.none'))}</p>`
        : facts([[t('branding.colour'), current]])
    return send(
      req,
      reply,
      t('branding.title'),
      `${message ?? ''}${state}${preview}${form}${logoForms(t, p, logoUrl)}${privacyForm(t, p)}`,
      status,
    )
  }

  function logoForms(t: T, p: UserPrincipal, logoUrl: string | null): string {
    const upload = `<form method="post" action="/console/branding/logo" enctype="multipart/form-data" class="stack">${csrfField(p)}
${input('logo', t('branding.logo_file'), { type: 'file', required: true, accept: 'image/png,image/jpeg,image/webp', hint: t('branding.logo_hint') })}
<div class="actions"><button type="submit">${h(t('branding.logo_upload'))}</button></div></form>`
    const remove =
      logoUrl === null
        ? ''
        : `<form method="post" action="/console/branding/logo" class="stack">${csrfField(p)}<div class="actions"><button type="submit" name="action" value="remove">${h(t('branding.logo_remove'))}</button></div></form>`
    const state = logoUrl === null ? `<p>${h(t('branding.logo_none'))}</p>` : ''
    return `<h2>${h(t('branding.logo'))}</h2>${state}${upload}${remove}`
  }

  function privacyForm(t: T, p: UserPrincipal): string {
    const { controllerName, controllerContactUrl, privacyNoticeUrl } = p.tenant
    return `<h2>${h(t('branding.privacy'))}</h2><p>${h(t('branding.privacy_intro'))}</p><form method="post" action="/console/branding" class="stack">${csrfField(p)}
${input('controllerName', t('branding.controller_name'), { value: controllerName ?? '', hint: t('branding.controller_name_hint') })}
${input('controllerContactUrl', t('branding.controller_contact'), { value: controllerContactUrl ?? '', hint: t('branding.controller_contact_hint') })}
${input('privacyNoticeUrl', t('branding.privacy_notice'), { type: 'url', value: privacyNoticeUrl ?? '', hint: t('branding.privacy_notice_hint') })}
<div class="actions"><button type="submit" name="action" value="privacy">${h(t('branding.privacy_save'))}</button></div></form>`
  }

  app.post('/branding', async (req, reply) => {
    const p = userOf(req, 'developers')
    const t = translator(languageOf(req))
    const form = formOf(req)
    const action = form.action ?? 'preview'
    if (action === 'clear') {
      const { tenant } = await changeTenant(deps, p.tenant.id, { brandColor: null })
      return brandingPage(req, reply, { ...p, tenant }, null, notice(t('branding.cleared')))
    }
    if (action === 'privacy') {
      const patch = privacyPatch(form)
      if (patch === null) {
        const refused = notice(t('branding.privacy_invalid'), 'alert')
        return brandingPage(req, reply, p, p.tenant.brandColor, refused, 400)
      }
      const { tenant } = await changeTenant(deps, p.tenant.id, patch)
      const saved = notice(t('branding.privacy_saved'))
      return brandingPage(req, reply, { ...p, tenant }, tenant.brandColor, saved)
    }
    const colour = (form.colour ?? '').trim().toLowerCase()
    if (!HEX_COLOUR.test(colour) || (action !== 'preview' && action !== 'save'))
      return brandingPage(req, reply, p, null, notice(t('branding.invalid'), 'alert'), 400)
    if (action === 'preview') return brandingPage(req, reply, p, colour, null)
    const { tenant } = await changeTenant(deps, p.tenant.id, { brandColor: colour })
    return brandingPage(req, reply, { ...p, tenant }, colour, notice(t('branding.saved')))
  })

  // The logo arrives as a multipart form (a file input), parsed only in this scope; the CSRF
  // check (a preHandler of the console) reads the form's `_csrf` field once it is parsed.
  await app.register(async (scope) => {
    // Busboy reports a malformed form as an Error without a status, which would be a 500: while
    // the body is being read, such an error is the sender's (400).
    const readingBody = new WeakSet<object>()
    scope.addHook('preValidation', async (req) => {
      readingBody.add(req)
    })
    await scope.register(multipart, {
      attachFieldsToBody: 'keyValues',
      throwFileSizeLimit: true,
      limits: { fileSize: MAX_LOGO_BYTES, files: 1, fields: 2, parts: 3, fieldSize: 1024 },
    })
    // A field sent twice arrives as a list: the form is not one this page made.
    scope.addHook('preValidation', async (req) => {
      readingBody.delete(req)
      if (Object.values(formOf(req)).some((v) => Array.isArray(v)))
        throw new ApiError('INVALID_REQUEST_BODY', 'A form field was sent more than once')
    })
    scope.setErrorHandler((err: unknown, req) => {
      const hasStatus = err instanceof Error && 'statusCode' in err
      if (readingBody.has(req) && req.isMultipart() && !hasStatus && !(err instanceof DomainError))
        throw new ApiError('INVALID_REQUEST_BODY', 'The multipart/form-data body is malformed')
      throw err
    })

    scope.post('/branding/logo', { bodyLimit: MAX_LOGO_BYTES + 16 * 1024 }, async (req, reply) => {
      const p = userOf(req, 'developers')
      const t = translator(languageOf(req))
      const body = formOf(req) as Record<string, unknown>
      if (body.action === 'remove') {
        const tenant = await removeTenantLogo(deps, p.tenant.id)
        const removed = notice(t('branding.logo_removed'))
        return brandingPage(req, reply, { ...p, tenant }, tenant.brandColor, removed)
      }
      const file = body.logo
      if (!Buffer.isBuffer(file) || file.length === 0) {
        const missing = notice(t('branding.logo_missing'), 'alert')
        return brandingPage(req, reply, p, p.tenant.brandColor, missing, 400)
      }
      try {
        const tenant = await setTenantLogo(deps, p.tenant.id, file)
        const saved = notice(t('branding.logo_saved'))
        return brandingPage(req, reply, { ...p, tenant }, tenant.brandColor, saved)
      } catch (err) {
        if (!(err instanceof DomainError)) throw err
        const refused = notice(t('branding.logo_refused', { message: err.message }), 'alert')
        const status = statusFor('native', err.code)
        return brandingPage(req, reply, p, p.tenant.brandColor, refused, status)
      }
    })
  })
}
