// The developers' pages: usage, API keys, webhook endpoints and deliveries, workflows and
// branding. Nothing here holds personal data.
import type { FastifyInstance } from 'fastify'
import { brandCss } from '../web/html.ts'
import { facts, h, table, translator } from './pages.ts'
import { isoShort, languageOf } from './http.ts'
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
}
