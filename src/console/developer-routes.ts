// The developers' pages: usage, and branding (branding-routes.ts); API keys, webhooks and
// workflows have their own. Nothing here holds personal data.
import type { FastifyInstance } from 'fastify'
import { facts, translator } from './pages.ts'
import { languageOf } from './http.ts'
import type { ConsolePluginOptions } from './http.ts'
import { tenantOverview } from './overview.ts'
import { brandingRoutes } from './branding-routes.ts'

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

  await app.register(brandingRoutes, opts)
}
