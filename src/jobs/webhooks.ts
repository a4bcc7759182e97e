// Webhooks: endpoint management, signing secrets, and the two jobs that deliver events.
//
// How an event reaches a receiver, and why none is lost or dispatched twice:
// 1. `recordEvent` writes the event and a `webhook.dispatch` job in the transaction of the status
//    change (store/verifications.ts, store/jobs.ts): committed together or not at all.
// 2. The dispatch job inserts one delivery per target — each enabled endpoint whose filter
//    matches, plus the verification's callback_url — and a `webhook.deliver` job per delivery,
//    in one transaction. Deliveries are unique per (event, target), so a dispatch that runs
//    again (its worker died before marking it done) inserts no second delivery and no job.
// 3. The deliver job sends one attempt. 2xx: delivered. 410: the endpoint is disabled and the
//    delivery stops. Anything else: retried on the configured schedule, then dead-lettered.
//    A worker that dies after sending but before recording sends again after its lease expires
//    (at-least-once); the `webhook-id` header is the delivery id, the same on every attempt, so
//    receivers deduplicate.
//
// Callback URLs are signed with the tenant's default secret (GET /webhooks/secret: created on
// first use, rotatable like an endpoint's), because a callback URL has no endpoint of its own.
import type { Caller } from '../domain/tenants.ts'
import type { Deps } from '../deps.ts'
import { DomainError } from '../domain/errors.ts'
import { isId, newId } from '../domain/ids.ts'
import { enqueueJob, EVENT_DISPATCH_JOB } from '../store/jobs.ts'
import {
  endpointsFor,
  getDelivery,
  getEndpoint,
  getTenantSecret,
  insertDeliveries,
  insertTenantSecretIfAbsent,
  recordAttempt,
  setDeliveryStatus,
  updateEndpoint,
  updateTenantSecret,
  getWebhookEvent,
} from '../store/webhooks.ts'
import type { WebhookDelivery, WebhookEndpoint } from '../store/webhooks.ts'
import { getVerification } from '../store/verifications.ts'
import { buildWebhookPayload } from './webhook-payload.ts'
import type { WebhookEventType, WebhookPayload } from './webhook-payload.ts'
import { generateWebhookSecret, webhookHeaders } from './webhook-signing.ts'
import { WebhookSender } from './webhook-http.ts'
import type { AttemptOutcome } from './webhook-http.ts'
import type { JobHandler } from './queue.ts'
import { PermanentJobError, RetryAt } from './queue.ts'
import { DELIVER_JOB } from './job-types.ts'

// ---- secrets ------------------------------------------------------------------------------

function endpointContext(endpointId: string): string {
  return `webhook-endpoint-secret:${endpointId}`
}

function tenantContext(tenantId: string): string {
  return `webhook-tenant-secret:${tenantId}`
}

interface SecretHolder {
  secretSealed: string
  previousSecretSealed: string | null
  previousSecretExpiresAt: string | null
}

/** The secrets that sign right now: the current one, then the previous one during its grace. */
function activeSecrets(deps: Deps, holder: SecretHolder, context: string): string[] {
  const secrets = [deps.sealer.open(holder.secretSealed, context).toString('utf8')]
  if (
    holder.previousSecretSealed !== null &&
    holder.previousSecretExpiresAt !== null &&
    holder.previousSecretExpiresAt > deps.clock.now().toISOString()
  ) {
    secrets.push(deps.sealer.open(holder.previousSecretSealed, context).toString('utf8'))
  }
  return secrets
}

/** The sealed fields after a rotation: a new current secret, the old one valid for the grace. */
function rotated(
  deps: Deps,
  holder: SecretHolder,
  context: string,
): { secret: string; patch: SecretHolder } {
  const secret = generateWebhookSecret()
  const grace = deps.config.webhookSecretGraceMs
  return {
    secret,
    patch: {
      secretSealed: deps.sealer.seal(secret, context),
      previousSecretSealed: grace > 0 ? holder.secretSealed : null,
      previousSecretExpiresAt:
        grace > 0 ? new Date(deps.clock.now().getTime() + grace).toISOString() : null,
    },
  }
}

/** A new endpoint's id and sealed secret (the plain secret is shown once, at creation). */
export function newEndpointSecret(deps: Deps): { id: string; secret: string; sealed: string } {
  const id = newId('whe')
  const secret = generateWebhookSecret()
  return { id, secret, sealed: deps.sealer.seal(secret, endpointContext(id)) }
}

/** Rotates an endpoint's secret; null when the endpoint is not this tenant's. */
export async function rotateEndpointSecret(
  deps: Deps,
  tenantId: string,
  endpointId: string,
): Promise<{ endpoint: WebhookEndpoint; secret: string } | null> {
  const endpoint = await getEndpoint(deps.store.db, tenantId, endpointId)
  if (endpoint === null) return null
  const { secret, patch } = rotated(deps, endpoint, endpointContext(endpoint.id))
  const updated = await updateEndpoint(
    deps.store.db,
    tenantId,
    endpointId,
    patch,
    deps.clock.now().toISOString(),
  )
  return updated === null ? null : { endpoint: updated, secret }
}

export interface TenantSecretView {
  secret: string
  previousSecretExpiresAt: string | null
  createdAt: string
  updatedAt: string
}

/** The tenant's default secret (signs callback_url deliveries), created on first use. */
export async function tenantSecret(deps: Deps, tenantId: string): Promise<TenantSecretView> {
  let row = await getTenantSecret(deps.store.db, tenantId)
  if (row === null) {
    const secret = generateWebhookSecret()
    await insertTenantSecretIfAbsent(
      deps.store.db,
      tenantId,
      deps.sealer.seal(secret, tenantContext(tenantId)),
      deps.clock.now().toISOString(),
    )
    row = await getTenantSecret(deps.store.db, tenantId)
    if (row === null) throw new Error('tenant webhook secret vanished after insert')
  }
  return {
    secret: deps.sealer.open(row.secretSealed, tenantContext(tenantId)).toString('utf8'),
    previousSecretExpiresAt: activePrevious(deps, row),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

function activePrevious(deps: Deps, holder: SecretHolder): string | null {
  return holder.previousSecretExpiresAt !== null &&
    holder.previousSecretExpiresAt > deps.clock.now().toISOString()
    ? holder.previousSecretExpiresAt
    : null
}

/** Rotates the tenant's default secret (creating it first if needed). */
export async function rotateTenantSecret(deps: Deps, tenantId: string): Promise<TenantSecretView> {
  await tenantSecret(deps, tenantId)
  const row = await getTenantSecret(deps.store.db, tenantId)
  if (row === null) throw new Error('tenant webhook secret vanished')
  const { patch } = rotated(deps, row, tenantContext(tenantId))
  await updateTenantSecret(deps.store.db, tenantId, patch, deps.clock.now().toISOString())
  return tenantSecret(deps, tenantId)
}

async function secretsForDelivery(
  deps: Deps,
  delivery: WebhookDelivery,
  endpoint: WebhookEndpoint | null,
): Promise<string[]> {
  if (endpoint !== null) return activeSecrets(deps, endpoint, endpointContext(endpoint.id))
  await tenantSecret(deps, delivery.tenantId)
  const row = await getTenantSecret(deps.store.db, delivery.tenantId)
  if (row === null) throw new Error('tenant webhook secret vanished')
  return activeSecrets(deps, row, tenantContext(delivery.tenantId))
}

// ---- jobs ---------------------------------------------------------------------------------

function idsOf(payload: Record<string, unknown>, key: string): { id: string; tenantId: string } {
  const id = payload[key]
  const tenantId = payload.tenantId
  if (typeof id !== 'string' || typeof tenantId !== 'string') {
    throw new PermanentJobError(`job payload lacks ${key} or tenantId`)
  }
  return { id, tenantId }
}

/**
 * Whether a verification's own callback URL is sent an event. A one-shot verification's
 * `webhook_url` gets the one result delivery its API documents (the decision, or the failure
 * to reach one), not the events of the way there.
 */
function callbackWants(surface: string, eventType: string): boolean {
  if (surface !== 'v1') return true
  return eventType === 'verification.completed' || eventType === 'verification.failed'
}

/** Fans one event out to its targets (see the top of this file). */
export const dispatchHandler: JobHandler = {
  type: EVENT_DISPATCH_JOB,
  async run(payload, { deps }) {
    const { id: eventId, tenantId } = idsOf(payload, 'eventId')
    const event = await getWebhookEvent(deps.store.db, tenantId, eventId)
    if (event === null) return // deleted with its verification: nothing left to announce
    const verification = await getVerification(deps.store.db, tenantId, event.verificationId)
    const endpoints = await endpointsFor(deps.store.db, tenantId, event.type)
    const targets: { endpointId: string | null; url: string }[] = endpoints.map((e) => ({
      endpointId: e.id,
      url: e.url,
    }))
    if (verification?.callbackUrl && callbackWants(verification.surface, event.type)) {
      targets.push({ endpointId: null, url: verification.callbackUrl })
    }
    if (targets.length === 0) return
    const now = deps.clock.now().toISOString()
    await deps.store.db.transaction().execute(async (trx) => {
      const inserted = await insertDeliveries(
        trx,
        tenantId,
        targets.map((t) => ({
          eventId,
          eventType: event.type,
          verificationId: event.verificationId,
          endpointId: t.endpointId,
          url: t.url,
        })),
        now,
      )
      for (const delivery of inserted) await enqueueDelivery(trx, deps, delivery, now)
    })
  },
}

async function enqueueDelivery(
  db: Parameters<typeof enqueueJob>[0],
  deps: Deps,
  delivery: WebhookDelivery,
  now: string,
): Promise<void> {
  await enqueueJob(db, {
    type: DELIVER_JOB,
    tenantId: delivery.tenantId,
    payload: { deliveryId: delivery.id, tenantId: delivery.tenantId },
    runAt: now,
    maxAttempts: deps.config.webhookRetryScheduleMs.length + 1,
    now,
  })
}

/** Delay after failed attempt `attempt` (1-based), ±10 % jitter so retries do not stampede. */
export function webhookRetryDelayMs(scheduleMs: number[], attempt: number): number {
  const base = scheduleMs[Math.min(attempt - 1, scheduleMs.length - 1)] ?? 0
  return Math.round(base * (0.9 + Math.random() * 0.2))
}

/** Sends one attempt of one delivery. */
export function deliverHandler(sender: WebhookSender): JobHandler {
  return {
    type: DELIVER_JOB,
    async run(payload, { deps, job }) {
      const { id, tenantId } = idsOf(payload, 'deliveryId')
      const db = deps.store.db
      const delivery = await getDelivery(db, tenantId, id, 'any')
      // Delivered or cancelled meanwhile (a rerun after a crash, or a tenant's resend racing).
      if (delivery === null || delivery.status === 'delivered' || delivery.status === 'cancelled') {
        return
      }
      const now = deps.clock.now()
      let endpoint: WebhookEndpoint | null = null
      if (delivery.endpointId !== null) {
        endpoint = await getEndpoint(db, tenantId, delivery.endpointId)
        if (endpoint === null || !endpoint.enabled) {
          await setDeliveryStatus(db, tenantId, id, {
            from: ['pending', 'failed'],
            to: 'cancelled',
            lastError: endpoint === null ? 'endpoint deleted' : 'endpoint disabled',
            now: now.toISOString(),
          })
          return
        }
      }
      const event = await getWebhookEvent(db, tenantId, delivery.eventId)
      if (event === null) {
        await setDeliveryStatus(db, tenantId, id, {
          from: ['pending', 'failed'],
          to: 'cancelled',
          lastError: 'event deleted',
          now: now.toISOString(),
        })
        return
      }
      const verification = await getVerification(db, tenantId, event.verificationId)
      const body = JSON.stringify(buildWebhookPayload(event, verification))
      const url = endpoint?.url ?? delivery.url
      const headers = webhookHeaders({
        messageId: delivery.id,
        eventType: event.type,
        timestampSeconds: Math.floor(now.getTime() / 1000),
        body,
        secrets: await secretsForDelivery(deps, delivery, endpoint),
      })
      const outcome = await sender.send(url, headers, body)
      const at = deps.clock.now()
      const ok =
        outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300
      const gone = outcome.statusCode === 410
      deps.metrics.webhookAttempts.inc({ outcome: ok ? 'delivered' : gone ? 'gone' : 'failed' })
      const last = job.attempts >= job.maxAttempts
      const error = ok ? null : (outcome.error ?? `HTTP ${outcome.statusCode}`)
      const retryAt =
        ok || gone || last
          ? null
          : new Date(
              at.getTime() + webhookRetryDelayMs(deps.config.webhookRetryScheduleMs, job.attempts),
            )
      // Standard Webhooks: 410 Gone means the receiver asks us to stop sending. The endpoint is
      // disabled before the attempt is recorded, so whoever sees the failed delivery sees it off.
      if (gone && endpoint !== null) {
        await updateEndpoint(
          db,
          tenantId,
          endpoint.id,
          { enabled: false, disabledReason: 'the receiver answered 410 Gone' },
          at.toISOString(),
        )
        deps.logger.info({ endpointId: endpoint.id, tenantId }, 'webhook endpoint disabled (410)')
      }
      await recordAttempt(db, delivery, {
        attempt: delivery.attempts + 1,
        statusCode: outcome.statusCode,
        durationMs: outcome.durationMs,
        responseExcerpt: outcome.responseExcerpt,
        error,
        at: at.toISOString(),
        status: ok ? 'delivered' : retryAt === null ? 'failed' : 'pending',
        nextAttemptAt: retryAt?.toISOString() ?? null,
      })
      if (ok) return
      if (gone) throw new PermanentJobError('receiver answered 410 Gone')
      throw retryAt === null
        ? new PermanentJobError(error ?? 'failed')
        : new RetryAt(retryAt, error ?? 'failed')
    },
    async onDead(payload, { deps }) {
      const { id, tenantId } = idsOf(payload, 'deliveryId')
      await setDeliveryStatus(deps.store.db, tenantId, id, {
        from: ['pending'],
        to: 'failed',
        now: deps.clock.now().toISOString(),
      })
    },
  }
}

/**
 * A tenant's "send again": the delivery goes back to pending with a new job. Refused while it is
 * still pending (its job will run anyway).
 */
export async function retryDelivery(
  deps: Deps,
  caller: Caller,
  deliveryId: string,
): Promise<WebhookDelivery> {
  const tenantId = caller.tenant.id
  const found = isId('del', deliveryId)
    ? await getDelivery(deps.store.db, tenantId, deliveryId, caller.mode)
    : null
  if (found === null)
    throw new DomainError('DELIVERY_NOT_FOUND', `No webhook delivery ${deliveryId}`)
  const now = deps.clock.now().toISOString()
  const moved = await deps.store.db.transaction().execute(async (trx) => {
    const changed = await setDeliveryStatus(trx, tenantId, deliveryId, {
      from: ['delivered', 'failed', 'cancelled'],
      to: 'pending',
      now,
    })
    if (changed) await enqueueDelivery(trx, deps, found, now)
    return changed
  })
  if (!moved) {
    throw new DomainError(
      'DELIVERY_PENDING',
      `Delivery ${deliveryId} is still pending; it will be attempted at its next retry time`,
    )
  }
  const updated = await getDelivery(deps.store.db, tenantId, deliveryId, caller.mode)
  if (updated === null) throw new Error('delivery vanished after retry')
  return updated
}

// ---- test events --------------------------------------------------------------------------

/** What each kind of event says in `data`, as a real one would (no person behind it). */
const EXAMPLE_DATA: Record<WebhookEventType, Record<string, unknown>> = {
  'verification.started': { verificationType: 'age_only', minAge: 18, mode: 'test' },
  'verification.completed': {
    status: 'approved',
    result: {
      verified: true,
      verifiedAge: 25,
      over18: true,
      reason: null,
      reasons: [],
      method: 'mock',
    },
  },
  'verification.failed': { status: 'failed', reason: 'internal_error' },
  'verification.expired': { status: 'expired' },
  'verification.abandoned': { status: 'abandoned', reason: 'user_cancelled' },
  'verification.deleted': { reason: 'deleted' },
}

/** An example event of `type` in the envelope real deliveries use; `data.test` is true. */
export function exampleEvent(type: WebhookEventType, now: Date): WebhookPayload {
  const verificationId = newId('ver')
  return {
    id: newId('evt'),
    type,
    createdAt: now.toISOString(),
    verificationId,
    metadata: { example: true },
    externalId: null,
    mode: 'test',
    data: { verificationId, ...EXAMPLE_DATA[type], test: true },
  }
}

export interface TestDelivery {
  event: WebhookPayload
  url: string
  outcome: AttemptOutcome
}

/**
 * Sends one example event to an endpoint now, signed with its secrets like any delivery, and
 * says how the receiver answered. Once, not retried, and not in the delivery log (it belongs to
 * no verification). Null when the endpoint is not this tenant's.
 */
export async function sendTestEvent(
  deps: Deps,
  tenantId: string,
  endpointId: string,
  type: WebhookEventType,
): Promise<TestDelivery | null> {
  const endpoint = await getEndpoint(deps.store.db, tenantId, endpointId)
  if (endpoint === null) return null
  const now = deps.clock.now()
  const event = exampleEvent(type, now)
  const body = JSON.stringify(event)
  const headers = webhookHeaders({
    messageId: newId('del'),
    eventType: type,
    timestampSeconds: Math.floor(now.getTime() / 1000),
    body,
    secrets: activeSecrets(deps, endpoint, endpointContext(endpoint.id)),
  })
  const { config } = deps
  const sender = new WebhookSender({
    timeoutMs: config.webhookTimeoutMs,
    connectTimeoutMs: config.webhookConnectTimeoutMs,
    firstByteTimeoutMs: config.webhookFirstByteTimeoutMs,
    allowPrivate: config.allowPrivateWebhooks,
  })
  try {
    return { event, url: endpoint.url, outcome: await sender.send(endpoint.url, headers, body) }
  } finally {
    sender.close()
  }
}
