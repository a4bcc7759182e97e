// A tenant's webhook endpoints and delivery log: what the /webhooks routes do. Signing, sending,
// retrying and the secrets themselves are in jobs/webhooks.ts, which the worker shares.
import type { Deps } from '../deps.ts'
import { DomainError } from '../domain/errors.ts'
import { isId } from '../domain/ids.ts'
import type { Caller } from '../domain/tenants.ts'
import { webhookUrlProblem } from '../jobs/ssrf.ts'
import type { WebhookEventType } from '../jobs/webhook-payload.ts'
import { newEndpointSecret, rotateEndpointSecret, sendTestEvent } from '../jobs/webhooks.ts'
import type { TestDelivery } from '../jobs/webhooks.ts'
import {
  deleteEndpoint,
  getDelivery,
  getEndpoint,
  insertEndpoint,
  listAttempts,
  listDeliveries,
  listEndpoints,
  updateEndpoint,
} from '../store/webhooks.ts'
import type {
  DeliveryFilter,
  WebhookAttempt,
  WebhookDelivery,
  WebhookEndpoint,
} from '../store/webhooks.ts'

export { DELIVERY_STATUSES } from '../store/webhooks.ts'
export type { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../store/webhooks.ts'
export { retryDelivery, rotateTenantSecret, tenantSecret } from '../jobs/webhooks.ts'

/** Each endpoint gets every matching event: a bound keeps one event's fan-out small. */
export const MAX_ENDPOINTS = 20

/** What a tenant says about an endpoint; `events: ["*"]` means every event. */
export interface EndpointInput {
  url: string
  events?: string[] | undefined
  enabled?: boolean | undefined
  description?: string | null | undefined
}

/** `["*"]` means every event (stored as null). */
function eventFilter(events: string[] | undefined): string[] | null | undefined {
  if (events === undefined) return undefined
  return events.includes('*') ? null : events
}

/** The URL as it will be called, or a 400 for one Loom may not call. */
function checkUrl(deps: Deps, url: string): string {
  const problem = webhookUrlProblem(url, deps.config.allowPrivateWebhooks)
  if (problem !== null) throw new DomainError('INVALID_REQUEST_BODY', `url ${problem}`)
  return new URL(url).toString()
}

function noEndpoint(id: string): DomainError {
  return new DomainError('WEBHOOK_ENDPOINT_NOT_FOUND', `No webhook endpoint ${id}`)
}

/** The tenant's endpoint, or a 404 (also for another tenant's). */
export async function endpointOf(
  deps: Deps,
  tenantId: string,
  id: string,
): Promise<WebhookEndpoint> {
  const found = isId('whe', id) ? await getEndpoint(deps.store.db, tenantId, id) : null
  if (found === null) throw noEndpoint(id)
  return found
}

/** The tenant's endpoints, oldest first. */
export async function endpointsOf(deps: Deps, tenantId: string): Promise<WebhookEndpoint[]> {
  return listEndpoints(deps.store.db, tenantId)
}

/** Adds an endpoint with a new signing secret, which only this answer carries. */
export async function createEndpoint(
  deps: Deps,
  tenantId: string,
  input: EndpointInput,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const url = checkUrl(deps, input.url)
  if ((await listEndpoints(deps.store.db, tenantId)).length >= MAX_ENDPOINTS) {
    throw new DomainError(
      'INVALID_REQUEST_BODY',
      `A tenant can have at most ${MAX_ENDPOINTS} webhook endpoints; delete one first`,
    )
  }
  const { id, secret, sealed } = newEndpointSecret(deps)
  const endpoint = await insertEndpoint(
    deps.store.db,
    tenantId,
    {
      id,
      url,
      eventTypes: eventFilter(input.events) ?? null,
      enabled: input.enabled ?? true,
      description: input.description ?? null,
      secretSealed: sealed,
    },
    deps.clock.now().toISOString(),
  )
  return { endpoint, secret }
}

/** Changes an endpoint; re-enabling it clears why it was disabled. */
export async function changeEndpoint(
  deps: Deps,
  tenantId: string,
  id: string,
  change: Partial<EndpointInput>,
): Promise<WebhookEndpoint> {
  await endpointOf(deps, tenantId, id)
  const events = eventFilter(change.events)
  const updated = await updateEndpoint(
    deps.store.db,
    tenantId,
    id,
    {
      ...(change.url !== undefined && { url: checkUrl(deps, change.url) }),
      ...(events !== undefined && { eventTypes: events }),
      ...(change.enabled !== undefined && { enabled: change.enabled }),
      ...(change.enabled === true && { disabledReason: null }),
      ...(change.description !== undefined && { description: change.description }),
    },
    deps.clock.now().toISOString(),
  )
  if (updated === null) throw noEndpoint(id)
  return updated
}

/** Removes an endpoint (its pending deliveries are cancelled), or a 404. */
export async function removeEndpoint(deps: Deps, tenantId: string, id: string): Promise<void> {
  const deleted = isId('whe', id) ? await deleteEndpoint(deps.store.db, tenantId, id) : false
  if (!deleted) throw noEndpoint(id)
}

/** Gives an endpoint a new signing secret; the old one keeps signing for the grace period. */
export async function rotateEndpoint(
  deps: Deps,
  tenantId: string,
  id: string,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  await endpointOf(deps, tenantId, id)
  const rotated = await rotateEndpointSecret(deps, tenantId, id)
  if (rotated === null) throw noEndpoint(id)
  return rotated
}

/** Sends an example event to an endpoint once, now, and says how it answered. */
export async function testEndpoint(
  deps: Deps,
  tenantId: string,
  id: string,
  type: WebhookEventType,
): Promise<TestDelivery> {
  const sent = isId('whe', id) ? await sendTestEvent(deps, tenantId, id, type) : null
  if (sent === null) throw noEndpoint(id)
  return sent
}

/** The caller's deliveries (its key's mode), newest first. */
export async function deliveriesOf(
  deps: Deps,
  caller: Caller,
  filter: DeliveryFilter,
): Promise<WebhookDelivery[]> {
  return listDeliveries(deps.store.db, caller.tenant.id, caller.mode, filter)
}

/** One of the caller's deliveries with every attempt, or a 404. */
export async function deliveryWithAttempts(
  deps: Deps,
  caller: Caller,
  id: string,
): Promise<{ delivery: WebhookDelivery; attempts: WebhookAttempt[] }> {
  const tenantId = caller.tenant.id
  const found = isId('del', id) ? await getDelivery(deps.store.db, tenantId, id, caller.mode) : null
  if (found === null) throw new DomainError('DELIVERY_NOT_FOUND', `No webhook delivery ${id}`)
  const attempts = await listAttempts(deps.store.db, tenantId, found.id)
  return { delivery: found, attempts }
}
