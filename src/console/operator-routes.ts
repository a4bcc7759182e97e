// The operator's pages (signed in with the admin key): every tenant with this month's usage.
import type { FastifyInstance } from 'fastify'
import { h, table, translator } from './pages.ts'
import { languageOf } from './http.ts'
import type { ConsolePluginOptions } from './http.ts'
import { consoleTenants } from './overview.ts'

export async function operatorRoutes(
  app: FastifyInstance,
  opts: ConsolePluginOptions,
): Promise<void> {
  const { deps, send, operatorOf } = opts.console
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
