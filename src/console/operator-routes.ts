// The operator's pages (signed in with the admin key): the instance and every tenant with this
// month's usage, and the request log (no personal data: URLs are kept without query strings).
import type { FastifyInstance } from 'fastify'
import { ApiError } from '../api/errors.ts'
import { instanceFigures, requestLogs } from '../services/admin.ts'
import { facts, h, input, table, translator } from './pages.ts'
import { languageOf } from './http.ts'
import type { ConsolePluginOptions } from './http.ts'
import { consoleTenants } from './overview.ts'

/** Entries a log page shows, newest first. */
const LOG_PAGE = 200

export async function operatorRoutes(
  app: FastifyInstance,
  opts: ConsolePluginOptions,
): Promise<void> {
  const { deps, send, operatorOf } = opts.console
  app.get('/operator/tenants', async (req, reply) => {
    operatorOf(req)
    const t = translator(languageOf(req))
    const [tenants, instance] = await Promise.all([consoleTenants(deps), instanceFigures(deps)])
    const figures = facts([
      [t('operator.database'), instance.databaseUp ? t('operator.up') : t('operator.down')],
      [t('operator.tenants'), String(instance.totalTenants)],
      [t('operator.verifications'), String(instance.totalVerifications)],
    ])
    const body = `<p>${h(t('operator.signed_in'))}</p>${figures}${table(
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

  app.get('/operator/logs', async (req, reply) => {
    operatorOf(req)
    const t = translator(languageOf(req))
    const q = req.query as Record<string, string | undefined>
    const filter: Parameters<typeof requestLogs>[1] = { limit: LOG_PAGE }
    if (q.tenant) {
      if (!/^ten_[A-Za-z0-9]{1,64}$/.test(q.tenant))
        throw new ApiError('INVALID_PARAMETERS', 'tenant must be a tenant id (ten_…)')
      filter.tenantId = q.tenant
    }
    if (q.status) {
      const status = Number(q.status)
      if (!Number.isInteger(status) || status < 100 || status > 599)
        throw new ApiError('INVALID_PARAMETERS', 'status must be an HTTP status (100–599)')
      filter.status = status
    }
    // Requests are written in batches; the page shows those answered up to now.
    await app.requestLog.flush()
    const entries = await requestLogs(deps, filter)
    const filters = `<form method="get" action="/console/operator/logs" class="filters" aria-label="${h(t('list.filters'))}">
${input('tenant', t('logs.tenant'), { value: q.tenant ?? '' })}
${input('status', t('logs.status'), { type: 'number', value: q.status ?? '' })}
<button type="submit">${h(t('list.apply'))}</button> <a href="/console/operator/logs">${h(t('list.reset'))}</a></form>`
    const body = `${filters}${table(
      t('logs.title'),
      [t('logs.time'), t('logs.request'), t('logs.status'), t('logs.duration'), t('logs.tenant')],
      entries.map((e) => [
        h(e.time.slice(0, 19).replace('T', ' ')),
        `<code>${h(`${e.method} ${e.url}`)}</code>`,
        h(String(e.status)),
        h(String(Math.round(e.durationMs))),
        e.tenantId === null ? '' : `<code>${h(e.tenantId)}</code>`,
      ]),
    )}${entries.length === 0 ? `<p>${h(t('logs.none'))}</p>` : ''}`
    return send(req, reply, t('logs.title'), body)
  })
}
