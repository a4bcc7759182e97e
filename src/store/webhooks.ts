// Webhook endpoints, the tenant's default (callback) secret, deliveries and their attempts.
// Every function takes the tenant id first: another tenant's id finds nothing.
import type { ExpressionBuilder, Kysely, Selectable, Transaction } from 'kysely'
import type { KeyMode } from '../domain/tenants.ts'
import type {
  Database,
  WebhookAttemptTable,
  WebhookDeliveryTable,
  WebhookEndpointTable,
} from './schema.ts'
import { newId, newSortableId } from '../domain/ids.ts'
import type { VerificationEvent } from './verifications.ts'

type Db = Kysely<Database> | Transaction<Database>

export interface WebhookEndpoint {
  id: string
  tenantId: string
  url: string
  /** Event types it receives; null = every event. */
  eventTypes: string[] | null
  enabled: boolean
  description: string | null
  disabledReason: string | null
  secretSealed: string
  previousSecretSealed: string | null
  previousSecretExpiresAt: string | null
  createdAt: string
  updatedAt: string
}

function toEndpoint(row: Selectable<WebhookEndpointTable>): WebhookEndpoint {
  return {
    ...row,
    eventTypes: row.eventTypes === null ? null : (JSON.parse(row.eventTypes) as string[]),
    enabled: row.enabled === 1,
  }
}

export interface NewEndpoint {
  id: string
  url: string
  eventTypes: string[] | null
  enabled: boolean
  description: string | null
  secretSealed: string
}

export async function insertEndpoint(
  db: Db,
  tenantId: string,
  input: NewEndpoint,
  now: string,
): Promise<WebhookEndpoint> {
  const row = await db
    .insertInto('webhookEndpoints')
    .values({
      id: input.id,
      tenantId,
      url: input.url,
      eventTypes: input.eventTypes === null ? null : JSON.stringify(input.eventTypes),
      enabled: input.enabled ? 1 : 0,
      description: input.description,
      disabledReason: null,
      secretSealed: input.secretSealed,
      previousSecretSealed: null,
      previousSecretExpiresAt: null,
      createdAt: now,
      updatedAt: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toEndpoint(row)
}

export async function getEndpoint(
  db: Db,
  tenantId: string,
  id: string,
): Promise<WebhookEndpoint | null> {
  const row = await db
    .selectFrom('webhookEndpoints')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? toEndpoint(row) : null
}

export async function listEndpoints(db: Db, tenantId: string): Promise<WebhookEndpoint[]> {
  const rows = await db
    .selectFrom('webhookEndpoints')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .orderBy('createdAt')
    .orderBy('id')
    .execute()
  return rows.map(toEndpoint)
}

/** The tenant's enabled endpoints that want events of `eventType`. */
export async function endpointsFor(
  db: Db,
  tenantId: string,
  eventType: string,
): Promise<WebhookEndpoint[]> {
  const rows = await db
    .selectFrom('webhookEndpoints')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where('enabled', '=', 1)
    .execute()
  return rows
    .map(toEndpoint)
    .filter((e) => e.eventTypes === null || e.eventTypes.includes(eventType))
}

export interface EndpointPatch {
  url?: string
  eventTypes?: string[] | null
  enabled?: boolean
  description?: string | null
  disabledReason?: string | null
  secretSealed?: string
  previousSecretSealed?: string | null
  previousSecretExpiresAt?: string | null
}

/** Applies a patch; null when the endpoint is not this tenant's. */
export async function updateEndpoint(
  db: Db,
  tenantId: string,
  id: string,
  patch: EndpointPatch,
  now: string,
): Promise<WebhookEndpoint | null> {
  const { eventTypes, enabled, ...rest } = patch
  const row = await db
    .updateTable('webhookEndpoints')
    .set({
      ...rest,
      ...(eventTypes !== undefined && {
        eventTypes: eventTypes === null ? null : JSON.stringify(eventTypes),
      }),
      ...(enabled !== undefined && { enabled: enabled ? 1 : 0 }),
      updatedAt: now,
    })
    .where('tenantId', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
  return row ? toEndpoint(row) : null
}

export async function deleteEndpoint(db: Db, tenantId: string, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom('webhookEndpoints')
    .where('tenantId', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst()
  return Number(result.numDeletedRows) === 1
}

export interface TenantWebhookSecret {
  tenantId: string
  secretSealed: string
  previousSecretSealed: string | null
  previousSecretExpiresAt: string | null
  createdAt: string
  updatedAt: string
}

export async function getTenantSecret(
  db: Db,
  tenantId: string,
): Promise<TenantWebhookSecret | null> {
  const row = await db
    .selectFrom('webhookSecrets')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .executeTakeFirst()
  return row ?? null
}

/** Stores the tenant's first default secret unless one exists (concurrent first uses: one wins). */
export async function insertTenantSecretIfAbsent(
  db: Db,
  tenantId: string,
  secretSealed: string,
  now: string,
): Promise<void> {
  await db
    .insertInto('webhookSecrets')
    .values({
      tenantId,
      secretSealed,
      previousSecretSealed: null,
      previousSecretExpiresAt: null,
      createdAt: now,
      updatedAt: now,
    })
    .onConflict((oc) => oc.column('tenantId').doNothing())
    .execute()
}

export async function updateTenantSecret(
  db: Db,
  tenantId: string,
  patch: {
    secretSealed: string
    previousSecretSealed: string | null
    previousSecretExpiresAt: string | null
  },
  now: string,
): Promise<void> {
  await db
    .updateTable('webhookSecrets')
    .set({ ...patch, updatedAt: now })
    .where('tenantId', '=', tenantId)
    .execute()
}

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'cancelled'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

export interface WebhookDelivery {
  id: string
  tenantId: string
  eventId: string
  eventType: string
  verificationId: string
  endpointId: string | null
  target: 'endpoint' | 'callback'
  url: string
  status: DeliveryStatus
  attempts: number
  lastStatusCode: number | null
  lastError: string | null
  lastAttemptAt: string | null
  nextAttemptAt: string | null
  deliveredAt: string | null
  createdAt: string
  updatedAt: string
}

export const CALLBACK_TARGET = 'callback'

function toDelivery(row: Selectable<WebhookDeliveryTable>): WebhookDelivery {
  const { targetKey, ...rest } = row
  return {
    ...rest,
    target: targetKey === CALLBACK_TARGET ? 'callback' : 'endpoint',
    status: row.status as DeliveryStatus,
  }
}

export interface NewDelivery {
  eventId: string
  eventType: string
  verificationId: string
  endpointId: string | null
  url: string
}

/**
 * Inserts one pending delivery per target, skipping targets this event already has (so a
 * dispatch that runs twice adds nothing); returns the deliveries actually inserted.
 */
export async function insertDeliveries(
  db: Db,
  tenantId: string,
  deliveries: NewDelivery[],
  now: string,
): Promise<WebhookDelivery[]> {
  if (deliveries.length === 0) return []
  const rows = await db
    .insertInto('webhookDeliveries')
    .values(
      deliveries.map((d) => ({
        id: newId('del'),
        tenantId,
        eventId: d.eventId,
        eventType: d.eventType,
        verificationId: d.verificationId,
        endpointId: d.endpointId,
        targetKey: d.endpointId ?? CALLBACK_TARGET,
        url: d.url,
        status: 'pending',
        attempts: 0,
        lastStatusCode: null,
        lastError: null,
        lastAttemptAt: null,
        nextAttemptAt: now,
        deliveredAt: null,
        createdAt: now,
        updatedAt: now,
      })),
    )
    .onConflict((oc) => oc.columns(['eventId', 'targetKey']).doNothing())
    .returningAll()
    .execute()
  return rows.map(toDelivery)
}

export async function getDelivery(
  db: Db,
  tenantId: string,
  id: string,
  /** A tenant's key sees its own mode's deliveries; the worker ('any') delivers them all. */
  mode: KeyMode | 'any',
): Promise<WebhookDelivery | null> {
  const row = await db
    .selectFrom('webhookDeliveries')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where('id', '=', id)
    .$if(mode !== 'any', (qb) => qb.where((eb) => ofMode(eb, mode as KeyMode)))
    .executeTakeFirst()
  return row ? toDelivery(row) : null
}

/** Deliveries of verifications in one mode: a test key sees only test deliveries, and so on. */
function ofMode(eb: ExpressionBuilder<Database, 'webhookDeliveries'>, mode: KeyMode) {
  return eb.exists(
    eb
      .selectFrom('verifications')
      .select('verifications.id')
      .whereRef('verifications.id', '=', 'webhookDeliveries.verificationId')
      .where('verifications.mode', '=', mode),
  )
}

export interface DeliveryFilter {
  endpointId?: string | undefined
  verificationId?: string | undefined
  status?: DeliveryStatus | undefined
  limit: number
}

/** A tenant's deliveries, newest first. */
export async function listDeliveries(
  db: Db,
  tenantId: string,
  mode: KeyMode,
  filter: DeliveryFilter,
): Promise<WebhookDelivery[]> {
  let query = db
    .selectFrom('webhookDeliveries')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where((eb) => ofMode(eb, mode))
  if (filter.endpointId !== undefined) query = query.where('endpointId', '=', filter.endpointId)
  if (filter.verificationId !== undefined) {
    query = query.where('verificationId', '=', filter.verificationId)
  }
  if (filter.status !== undefined) query = query.where('status', '=', filter.status)
  const rows = await query
    .orderBy('createdAt', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit)
    .execute()
  return rows.map(toDelivery)
}

export interface AttemptRecord {
  attempt: number
  statusCode: number | null
  durationMs: number
  responseExcerpt: string | null
  error: string | null
  at: string
  /** The delivery's status after this attempt. */
  status: DeliveryStatus
  nextAttemptAt: string | null
}

/** Logs one attempt and updates its delivery, in one transaction. */
export async function recordAttempt(
  db: Kysely<Database>,
  delivery: WebhookDelivery,
  attempt: AttemptRecord,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('webhookAttempts')
      .values({
        id: newSortableId('del'),
        tenantId: delivery.tenantId,
        deliveryId: delivery.id,
        attempt: attempt.attempt,
        statusCode: attempt.statusCode,
        durationMs: attempt.durationMs,
        responseExcerpt: attempt.responseExcerpt,
        error: attempt.error,
        createdAt: attempt.at,
      })
      .execute()
    await trx
      .updateTable('webhookDeliveries')
      .set((eb) => ({
        status: attempt.status,
        attempts: eb('attempts', '+', 1),
        lastStatusCode: attempt.statusCode,
        lastError: attempt.error,
        lastAttemptAt: attempt.at,
        nextAttemptAt: attempt.nextAttemptAt,
        updatedAt: attempt.at,
        ...(attempt.status === 'delivered' && { deliveredAt: attempt.at }),
      }))
      .where('tenantId', '=', delivery.tenantId)
      .where('id', '=', delivery.id)
      .execute()
  })
}

/** Sets a delivery's status if it is currently one of `from`; returns whether it changed. */
export async function setDeliveryStatus(
  db: Db,
  tenantId: string,
  id: string,
  change: { from: DeliveryStatus[]; to: DeliveryStatus; lastError?: string; now: string },
): Promise<boolean> {
  const result = await db
    .updateTable('webhookDeliveries')
    .set({
      status: change.to,
      updatedAt: change.now,
      nextAttemptAt: change.to === 'pending' ? change.now : null,
      ...(change.lastError !== undefined && { lastError: change.lastError }),
    })
    .where('tenantId', '=', tenantId)
    .where('id', '=', id)
    .where('status', 'in', change.from)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export interface WebhookAttempt {
  id: string
  attempt: number
  statusCode: number | null
  durationMs: number
  responseExcerpt: string | null
  error: string | null
  createdAt: string
}

export async function listAttempts(
  db: Db,
  tenantId: string,
  deliveryId: string,
): Promise<WebhookAttempt[]> {
  const rows: Selectable<WebhookAttemptTable>[] = await db
    .selectFrom('webhookAttempts')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where('deliveryId', '=', deliveryId)
    .orderBy('createdAt')
    .orderBy('id')
    .execute()
  return rows.map(({ tenantId: _t, deliveryId: _d, ...rest }) => rest)
}

/** Deletes finished deliveries (and their attempts) created before `before`. */
export async function pruneDeliveries(db: Kysely<Database>, before: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const old = trx
      .selectFrom('webhookDeliveries')
      .select('id')
      .where('createdAt', '<', before)
      .where('status', '!=', 'pending')
    await trx.deleteFrom('webhookAttempts').where('deliveryId', 'in', old).execute()
    const result = await trx
      .deleteFrom('webhookDeliveries')
      .where('createdAt', '<', before)
      .where('status', '!=', 'pending')
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  })
}

/** One of a tenant's verification events (what a delivery announces), or null. */
export async function getWebhookEvent(
  db: Db,
  tenantId: string,
  eventId: string,
): Promise<VerificationEvent | null> {
  const row = await db
    .selectFrom('verificationEvents')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where('id', '=', eventId)
    .executeTakeFirst()
  return row ? { ...row, payload: JSON.parse(row.payload) as Record<string, unknown> } : null
}
