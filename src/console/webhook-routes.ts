// The webhook pages, for owners and developers: the endpoints and recent deliveries, one
// endpoint's delivery log (status, attempts, the receiver's status code: never a payload), "send
// test event" and "resend" of a delivery, through the same services as the webhooks API.
import type { FastifyInstance } from 'fastify'
import { ApiError } from '../api/errors.ts'
import { isId } from '../domain/ids.ts'
import type { KeyMode } from '../domain/tenants.ts'
import { getEndpoint, listDeliveries } from '../store/webhooks.ts'
import type { WebhookDelivery, WebhookEndpoint } from '../store/webhooks.ts'
import { retryDelivery, sendTestEvent } from '../jobs/webhooks.ts'
import { WEBHOOK_EVENT_TYPES } from '../jobs/webhook-payload.ts'
import type { WebhookEventType } from '../jobs/webhook-payload.ts'
import { csrfField, facts, h, notice, select, table } from './pages.ts'
import type { T } from './pages.ts'
import { ConsoleHttp, formOf, isoShort, oneOf, textOf } from './http.ts'
import type { ConsolePluginOptions, UserPrincipal } from './http.ts'
import { tenantOverview } from './overview.ts'

const DELIVERIES_SHOWN = 50

type ModedDelivery = WebhookDelivery & { mode: KeyMode }

export async function webhookRoutes(
  app: FastifyInstance,
  opts: ConsolePluginOptions,
): Promise<void> {
  const { deps, send, userOf } = opts.console

  /** Deliveries as rows; with a resend form for those no longer pending. */
  function deliveryTable(t: T, p: UserPrincipal, rows: ModedDelivery[]): string {
    return table(
      t('webhooks.deliveries'),
      [
        t('webhooks.event'),
        t('list.id'),
        t('list.mode'),
        t('list.status'),
        t('webhooks.attempts'),
        t('webhooks.status_code'),
        t('webhooks.last_attempt'),
        t('list.created'),
        t('webhooks.actions'),
      ],
      rows.map((d) => [
        `<code>${h(d.eventType)}</code>`,
        `<a href="/console/verifications/${h(d.verificationId)}">${h(d.verificationId)}</a>`,
        h(d.mode),
        h(d.status),
        h(String(d.attempts)),
        h(d.lastStatusCode === null ? '—' : String(d.lastStatusCode)),
        h(isoShort(d.lastAttemptAt)),
        h(isoShort(d.createdAt)),
        d.status === 'pending'
          ? ''
          : `<form method="post" action="/console/webhooks/deliveries/${h(d.id)}/resend" class="inline">${csrfField(p)}<input type="hidden" name="mode" value="${h(d.mode)}"><button type="submit">${h(t('webhooks.resend'))}</button></form>`,
      ]),
    )
  }

  async function endpointOr404(p: UserPrincipal, id: string): Promise<WebhookEndpoint> {
    const endpoint = isId('whe', id) ? await getEndpoint(deps.store.db, p.tenant.id, id) : null
    if (endpoint === null) throw new ConsoleHttp(404, 'error.not_found')
    return endpoint
  }

  app.get('/webhooks', async (req, reply) => {
    const p = userOf(req, 'developers')
    const t = textOf(req)
    const o = await tenantOverview(deps, p.tenant)
    const endpoints =
      o.endpoints.length === 0
        ? `<p>${h(t('webhooks.none'))}</p>`
        : table(
            t('webhooks.title'),
            [t('webhooks.url'), t('webhooks.enabled'), t('webhooks.events')],
            o.endpoints.map((e) => [
              `<a href="/console/webhooks/${h(e.id)}">${h(e.url)}</a>`,
              h(e.enabled ? t('yes') : t('no')),
              h(e.eventTypes?.join(', ') ?? t('webhooks.all_events')),
            ]),
          )
    const q = req.query as Record<string, string | undefined>
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
      `${q.resent ? notice(t('webhooks.resent')) : ''}${endpoints}<h2>${h(t('webhooks.deliveries'))}</h2>${deliveries}`,
    )
  })

  app.get<{ Params: { id: string } }>('/webhooks/:id', async (req, reply) => {
    const p = userOf(req, 'developers')
    const t = textOf(req)
    const endpoint = await endpointOr404(p, req.params.id)
    const filter = { endpointId: endpoint.id, limit: DELIVERIES_SHOWN }
    const [live, test] = await Promise.all([
      listDeliveries(deps.store.db, p.tenant.id, 'live', filter),
      listDeliveries(deps.store.db, p.tenant.id, 'test', filter),
    ])
    const rows: ModedDelivery[] = [
      ...live.map((d) => ({ ...d, mode: 'live' as const })),
      ...test.map((d) => ({ ...d, mode: 'test' as const })),
    ]
      .sort((x, y) => y.createdAt.localeCompare(x.createdAt) || y.id.localeCompare(x.id))
      .slice(0, DELIVERIES_SHOWN)
    const q = req.query as Record<string, string | undefined>
    const about = facts([
      [t('webhooks.url'), endpoint.url],
      [t('webhooks.enabled'), endpoint.enabled ? t('yes') : t('no')],
      [t('webhooks.disabled_reason'), endpoint.disabledReason ?? '—'],
      [t('webhooks.events'), endpoint.eventTypes?.join(', ') ?? t('webhooks.all_events')],
    ])
    const testForm = `<h2>${h(t('webhooks.test'))}</h2><p>${h(t('webhooks.test_lead'))}</p>
<form method="post" action="/console/webhooks/${h(endpoint.id)}/test" class="stack">${csrfField(p)}
${select(
  'type',
  t('webhooks.event'),
  WEBHOOK_EVENT_TYPES.map((e): [string, string] => [e, e]),
  'verification.completed',
)}
<button type="submit">${h(t('webhooks.test_submit'))}</button></form>`
    const log =
      rows.length === 0 ? `<p>${h(t('webhooks.no_deliveries'))}</p>` : deliveryTable(t, p, rows)
    const body = `${q.resent ? notice(t('webhooks.resent')) : ''}${about}${testForm}<h2>${h(t('webhooks.deliveries'))}</h2>${log}`
    return send(req, reply, t('webhooks.endpoint_title'), body)
  })

  app.post<{ Params: { id: string } }>('/webhooks/:id/test', async (req, reply) => {
    const p = userOf(req, 'developers')
    const t = textOf(req)
    const endpoint = await endpointOr404(p, req.params.id)
    const type = (oneOf(formOf(req).type, WEBHOOK_EVENT_TYPES, 'type') ??
      'verification.completed') as WebhookEventType
    const sent = await sendTestEvent(deps, p.tenant.id, endpoint.id, type)
    if (sent === null) throw new ConsoleHttp(404, 'error.not_found')
    req.loomEvent = 'webhook_endpoint.tested'
    const { statusCode, error, durationMs } = sent.outcome
    const delivered = statusCode !== null && statusCode >= 200 && statusCode < 300
    const body = `${notice(t(delivered ? 'webhooks.test_delivered' : 'webhooks.test_failed'), delivered ? 'status' : 'alert')}${facts(
      [
        [t('webhooks.url'), sent.url],
        [t('webhooks.event'), type],
        [t('webhooks.status_code'), statusCode === null ? '—' : String(statusCode)],
        [t('webhooks.duration'), `${durationMs} ms`],
        [t('webhooks.error'), error ?? '—'],
      ],
    )}<p><a href="/console/webhooks/${h(endpoint.id)}">${h(t('webhooks.back'))}</a></p>`
    return send(req, reply, t('webhooks.test'), body)
  })

  app.post<{ Params: { id: string } }>('/webhooks/deliveries/:id/resend', async (req, reply) => {
    const p = userOf(req, 'developers')
    const mode = oneOf(formOf(req).mode, ['live', 'test'], 'mode') as KeyMode | undefined
    if (mode === undefined) throw new ApiError('INVALID_REQUEST_BODY', 'mode must be live or test')
    // The service looks the delivery up in this tenant and mode: another's is a 404.
    const delivery = await retryDelivery(deps, { tenant: p.tenant, mode }, req.params.id)
    req.loomEvent = 'webhook_delivery.retried'
    const back =
      delivery.endpointId === null
        ? '/console/webhooks'
        : `/console/webhooks/${delivery.endpointId}`
    return reply.redirect(`${back}?resent=1`, 303)
  })
}
