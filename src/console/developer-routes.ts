// The developers' pages: usage and branding (colour previewed, then saved); API keys, webhooks
// and workflows have their own. Nothing here holds personal data.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { brandCss } from '../web/html.ts'
import { changeTenant } from '../services/admin.ts'
import { csrfField, facts, h, input, notice, translator } from './pages.ts'
import { formOf, languageOf } from './http.ts'
import type { ConsolePluginOptions, UserPrincipal } from './http.ts'
import { tenantOverview } from './overview.ts'

const HEX_COLOUR = /^#[0-9a-f]{6}$/
/** The hosted page's own accent, offered as the starting point when no colour is set. */
const DEFAULT_BRAND = '#3b4cca'

export async function developerRoutes(
  app: FastifyInstance,
  opts: ConsolePluginOptions,
): Promise<void> {
  const { deps, send, userOf } = opts.console
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

  app.get('/branding', async (req, reply) => {
    const p = userOf(req, 'developers')
    return brandingPage(req, reply, p, p.tenant.brandColor, null)
  })

  /** The colour in use, a form to change it, and the hosted page's colours with `shown`. */
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
    const preview =
      shown === null || brandCss(shown) === ''
        ? ''
        : `<h2>${h(t(shown === current ? 'branding.preview' : 'branding.previewing', { colour: shown }))}</h2><link rel="stylesheet" href="/page/theme.css?brand=${h(shown.slice(1).toLowerCase())}"><div class="brand-preview"><button type="button" class="brand-button">${h(t('branding.preview_button'))}</button></div>`
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
      `${message ?? ''}${state}${preview}${form}`,
      status,
    )
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
    const colour = (form.colour ?? '').trim().toLowerCase()
    if (!HEX_COLOUR.test(colour) || (action !== 'preview' && action !== 'save'))
      return brandingPage(req, reply, p, null, notice(t('branding.invalid'), 'alert'), 400)
    if (action === 'preview') return brandingPage(req, reply, p, colour, null)
    const { tenant } = await changeTenant(deps, p.tenant.id, { brandColor: colour })
    return brandingPage(req, reply, { ...p, tenant }, colour, notice(t('branding.saved')))
  })
}
