// The operator's pages (signed in with the admin key): the instance and every tenant with this
// month's usage, and the request log (no personal data: URLs are kept without query strings).
import type { FastifyInstance } from 'fastify'
import { ApiError } from '../api/errors.ts'
import { instanceFigures, requestLogs } from '../services/admin.ts'
import { facts, h, input, table, translator } from './pages.ts'
import { languageOf } from './http.ts'
import type { ConsolePluginOptions } from './http.ts'
import { consoleTenants } from './overview.ts'
import { metricFigures } from './operator-metrics.ts'
import type { MetricFigures } from './operator-metrics.ts'
import type { T } from './pages.ts'

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
    const [tenants, instance, measured] = await Promise.all([
      consoleTenants(deps),
      instanceFigures(deps),
      metricFigures(deps.metrics),
    ])
    const figures = facts([
      [t('operator.database'), instance.databaseUp ? t('operator.up') : t('operator.down')],
      [t('operator.tenants'), String(instance.totalTenants)],
      [t('operator.verifications'), String(instance.totalVerifications)],
    ])
    const own = `<h2>${h(t('metrics.title'))}</h2><p class="hint">${h(t('metrics.lead'))}</p>${facts(metricRows(t, measured))}`
    const body = `<p>${h(t('operator.signed_in'))}</p>${figures}${own}${table(
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

/** "2xx 12 · 4xx 3", or a dash when there is nothing. */
function counts(values: Record<string, number>): string {
  const parts = Object.entries(values)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${Math.round(n)}`)
  return parts.length === 0 ? '—' : parts.join(' · ')
}

function seconds(value: number | null): string {
  if (value === null) return '—'
  if (value === Infinity) return '> 10 s'
  return value < 1 ? `≤ ${Math.round(value * 1000)} ms` : `≤ ${value} s`
}

function metricRows(t: T, m: MetricFigures): [string, string][] {
  const uptime =
    m.uptimeSeconds === null
      ? '—'
      : `${Math.floor(m.uptimeSeconds / 3600)} h ${Math.floor((m.uptimeSeconds % 3600) / 60)} min`
  return [
    [t('metrics.requests'), counts(m.requests)],
    [t('metrics.request_p95'), seconds(m.requestP95Seconds)],
    [t('metrics.engine_tasks'), counts(m.engineTasks)],
    [t('metrics.engine_p95'), seconds(m.engineP95Seconds)],
    [t('metrics.engine_queue'), String(m.engineQueue)],
    [
      t('metrics.job_lag'),
      counts(Object.fromEntries(Object.entries(m.jobLagSeconds).map(([k, v]) => [`${k} (s)`, v]))),
    ],
    [t('metrics.webhooks'), counts(m.webhookAttempts)],
    [
      t('metrics.tokens'),
      counts({
        [t('metrics.valid')]: m.tokenValidations.valid,
        [t('metrics.refused')]: m.tokenValidations.refused,
      }),
    ],
    [
      t('metrics.memory'),
      m.residentBytes === null ? '—' : `${Math.round(m.residentBytes / 2 ** 20)} MiB`,
    ],
    [t('metrics.uptime'), uptime],
  ]
}
