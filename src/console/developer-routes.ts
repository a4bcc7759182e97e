// The developers' pages: usage, workflows and branding (API keys and webhooks have their own). Nothing here holds personal data.
import type { FastifyInstance } from 'fastify'
import { brandCss } from '../web/html.ts'
import { facts, h, table, translator } from './pages.ts'
import { languageOf } from './http.ts'
import type { ConsolePluginOptions } from './http.ts'
import { tenantOverview } from './overview.ts'

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
}
