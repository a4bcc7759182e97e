// Verifications and their events. A status change and the event it causes are written in one
// transaction, and the change is conditional on the current status, so concurrent completions
// cannot both win (on SQLite and PostgreSQL alike).
import type { Kysely, Selectable, Transaction } from 'kysely'
import type { Database, VerificationTable } from './schema.ts'
import type {
  Decision,
  Mode,
  MockBehavior,
  SurfaceName,
  VerificationStatus,
  VerificationType,
} from '../domain/verification.ts'
import { statusesThatMayBecome } from '../domain/verification.ts'
import type { KeyMode } from '../domain/tenants.ts'
import { newSortableId } from '../domain/ids.ts'
import type { VerificationSettings } from '../domain/workflows.ts'
import { defaultSettings } from '../domain/workflows.ts'
import { enqueueEventDispatch } from './jobs.ts'

type Db = Kysely<Database> | Transaction<Database>

export interface Verification {
  id: string
  tenantId: string
  mode: Mode
  surface: SurfaceName
  status: VerificationStatus
  verificationType: VerificationType
  minAge: number
  metadata: Record<string, unknown> | null
  callbackUrl: string | null
  state: string | null
  externalId: string | null
  clientSealed: string | null
  mockBehavior: MockBehavior | null
  idempotencyKey: string | null
  requestHash: string | null
  expiresAt: string
  createdAt: string
  updatedAt: string
  completedAt: string | null
  confidence: number | null
  decision: Decision | null
  /** The document's personal fields (encrypted), null before a read and after a purge. */
  personSealed: string | null
  /** The age token minted at approval (encrypted), so status and webhooks can hand it over. */
  tokenSealed: string | null
  purgedAt: string | null
  /** The caller's request id on one-shot surfaces (/v1/verify). */
  requestRef: string | null
  workflowId: string | null
  /** The workflow's settings frozen at creation (defaults when started without one). */
  settings: VerificationSettings
  /** The sessions API's applicant (name, email, phone), encrypted; null after a purge. */
  applicantSealed: string | null
  /** Why an open verification ended without a decision: user_cancelled, session_expired, … */
  endReason: string | null
}

export interface VerificationEvent {
  id: string
  tenantId: string
  verificationId: string
  type: string
  payload: Record<string, unknown>
  createdAt: string
}

function toVerification(row: Selectable<VerificationTable>): Verification {
  return {
    id: row.id,
    tenantId: row.tenantId,
    mode: row.mode,
    surface: row.surface as SurfaceName,
    status: row.status as VerificationStatus,
    verificationType: row.verificationType as VerificationType,
    minAge: row.minAge,
    metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, unknown>),
    callbackUrl: row.callbackUrl,
    state: row.state,
    externalId: row.externalId,
    clientSealed: row.client,
    mockBehavior: row.mockBehavior as MockBehavior | null,
    idempotencyKey: row.idempotencyKey,
    requestHash: row.requestHash,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    completedAt: row.completedAt,
    confidence: row.confidence,
    decision: row.result === null ? null : (JSON.parse(row.result) as Decision),
    personSealed: row.personSealed,
    tokenSealed: row.tokenSealed,
    purgedAt: row.purgedAt,
    requestRef: row.requestRef,
    workflowId: row.workflowId,
    settings:
      row.settings === null
        ? defaultSettings(row.verificationType as VerificationType)
        : (JSON.parse(row.settings) as VerificationSettings),
    applicantSealed: row.applicantSealed,
    endReason: row.endReason,
  }
}

export type NewVerification = Omit<
  Verification,
  | 'status'
  | 'updatedAt'
  | 'completedAt'
  | 'confidence'
  | 'decision'
  | 'personSealed'
  | 'tokenSealed'
  | 'purgedAt'
  | 'requestRef'
  | 'workflowId'
  | 'settings'
  | 'applicantSealed'
  | 'endReason'
> & {
  requestRef?: string | null
  workflowId?: string | null
  settings?: VerificationSettings | null
  applicantSealed?: string | null
}

/**
 * Appends an event and, in the same transaction (pass the one of the status change), the job
 * that fans it out to webhook endpoints: the outbox. See store/jobs.ts.
 */
export async function recordEvent(
  db: Db,
  event: Omit<VerificationEvent, 'id'>,
  /** false: a record for the verification's timeline only, which no webhook announces. */
  options: { webhooks?: boolean } = {},
): Promise<VerificationEvent> {
  const id = newSortableId('evt')
  await db
    .insertInto('verificationEvents')
    .values({ ...event, id, payload: JSON.stringify(event.payload) })
    .execute()
  if (options.webhooks !== false) {
    await enqueueEventDispatch(db, { eventId: id, tenantId: event.tenantId, at: event.createdAt })
  }
  return { ...event, id }
}

/**
 * Inserts a pending verification and its `verification.started` event. With an idempotency key
 * already used by this tenant, inserts nothing and returns the existing one (`created: false`).
 */
export async function insertVerification(
  db: Kysely<Database>,
  input: NewVerification,
  eventPayload: Record<string, unknown>,
  /** Runs in the same transaction when a new verification was inserted; throw to roll back. */
  onCreated?: (trx: Transaction<Database>) => Promise<void>,
): Promise<{ verification: Verification; created: boolean }> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('verifications')
      .values({
        id: input.id,
        tenantId: input.tenantId,
        mode: input.mode,
        surface: input.surface,
        status: 'pending',
        verificationType: input.verificationType,
        minAge: input.minAge,
        metadata: input.metadata === null ? null : JSON.stringify(input.metadata),
        callbackUrl: input.callbackUrl,
        state: input.state,
        externalId: input.externalId,
        client: input.clientSealed,
        mockBehavior: input.mockBehavior,
        idempotencyKey: input.idempotencyKey,
        requestHash: input.requestHash,
        expiresAt: input.expiresAt,
        createdAt: input.createdAt,
        updatedAt: input.createdAt,
        completedAt: null,
        confidence: null,
        result: null,
        version: 0,
        requestRef: input.requestRef ?? null,
        workflowId: input.workflowId ?? null,
        settings: input.settings ? JSON.stringify(input.settings) : null,
        applicantSealed: input.applicantSealed ?? null,
      })
      .onConflict((oc) => oc.columns(['tenantId', 'idempotencyKey']).doNothing())
      .returningAll()
      .executeTakeFirst()
    if (row === undefined) {
      const existing = await trx
        .selectFrom('verifications')
        .selectAll()
        .where('tenantId', '=', input.tenantId)
        .where('idempotencyKey', '=', input.idempotencyKey)
        .executeTakeFirstOrThrow()
      return { verification: toVerification(existing), created: false }
    }
    if (onCreated) await onCreated(trx)
    await recordEvent(trx, {
      tenantId: input.tenantId,
      verificationId: input.id,
      type: 'verification.started',
      payload: eventPayload,
      createdAt: input.createdAt,
    })
    return { verification: toVerification(row), created: true }
  })
}

/** One of a tenant's verifications; null for unknown ids and other tenants' ids alike. */
export async function getVerification(
  db: Db,
  tenantId: string,
  verificationId: string,
): Promise<Verification | null> {
  const row = await db
    .selectFrom('verifications')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where('id', '=', verificationId)
    .executeTakeFirst()
  return row ? toVerification(row) : null
}

/** Whether one of a tenant's verifications is live or test; null for an unknown id. */
export async function verificationMode(
  db: Db,
  tenantId: string,
  verificationId: string,
): Promise<KeyMode | null> {
  const row = await db
    .selectFrom('verifications')
    .select('mode')
    .where('tenantId', '=', tenantId)
    .where('id', '=', verificationId)
    .executeTakeFirst()
  return row === undefined ? null : row.mode
}

/**
 * The tenant a verification belongs to, by its id alone: only for the hosted page, whose signed
 * session link names the verification and nothing else. Null for an unknown id.
 */
export async function findVerificationTenantId(
  db: Db,
  verificationId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom('verifications')
    .select('tenantId')
    .where('id', '=', verificationId)
    .executeTakeFirst()
  return row?.tenantId ?? null
}

export interface TransitionInput {
  to: VerificationStatus
  at: string
  decision?: Decision
  personSealed?: string
  tokenSealed?: string
  /** Why an open verification ended without a decision (abandoned, failed, expired). */
  endReason?: string
  /** Jobs to enqueue in the same transaction (e.g. processing once evidence is in). */
  onChanged?: (trx: Transaction<Database>) => Promise<void>
  /** Event written with the change, in the same transaction. */
  event?: { type: string; payload: Record<string, unknown> }
}

/**
 * Moves a verification to `to` if its current status allows it; returns the updated
 * verification, or null if it does not exist or its status did not allow the move (a
 * concurrent change won). Exactly one of several concurrent callers succeeds.
 */
export async function transitionVerification(
  db: Kysely<Database>,
  tenantId: string,
  verificationId: string,
  input: TransitionInput,
): Promise<Verification | null> {
  return db.transaction().execute(async (trx) => {
    const finishing = ['approved', 'rejected', 'review', 'expired', 'abandoned', 'failed'].includes(
      input.to,
    )
    const result = await trx
      .updateTable('verifications')
      .set((eb) => ({
        status: input.to,
        updatedAt: input.at,
        version: eb('version', '+', 1),
        ...(finishing && { completedAt: input.at }),
        ...(input.decision && {
          result: JSON.stringify(input.decision),
          confidence: input.decision.confidence,
        }),
        ...(input.personSealed !== undefined && { personSealed: input.personSealed }),
        ...(input.tokenSealed !== undefined && { tokenSealed: input.tokenSealed }),
        ...(input.endReason !== undefined && { endReason: input.endReason }),
      }))
      .where('tenantId', '=', tenantId)
      .where('id', '=', verificationId)
      .where('status', 'in', statusesThatMayBecome(input.to))
      .returningAll()
      .executeTakeFirst()
    if (result === undefined) return null
    if (input.onChanged) await input.onChanged(trx)
    if (input.event) {
      await recordEvent(trx, {
        tenantId,
        verificationId,
        type: input.event.type,
        payload: input.event.payload,
        createdAt: input.at,
      })
    }
    return toVerification(result)
  })
}

/** A verification's events, oldest first. */
/**
 * Replaces an open (pending or in-progress) verification's settings; returns it, or null when
 * it is not open any more.
 */
export async function updateOpenSettings(
  db: Db,
  tenantId: string,
  verificationId: string,
  settings: VerificationSettings,
  at: string,
): Promise<Verification | null> {
  const row = await db
    .updateTable('verifications')
    .set((eb) => ({
      settings: JSON.stringify(settings),
      updatedAt: at,
      version: eb('version', '+', 1),
    }))
    .where('tenantId', '=', tenantId)
    .where('id', '=', verificationId)
    .where('status', 'in', ['pending', 'in_progress'])
    .returningAll()
    .executeTakeFirst()
  return row === undefined ? null : toVerification(row)
}

export async function listEvents(
  db: Db,
  tenantId: string,
  verificationId: string,
): Promise<VerificationEvent[]> {
  const rows = await db
    .selectFrom('verificationEvents')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where('verificationId', '=', verificationId)
    .orderBy('createdAt')
    .orderBy('id')
    .execute()
  return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }))
}

/** One event of the tenant by id (null when it is another tenant's or unknown). */
export async function getEvent(
  db: Db,
  tenantId: string,
  id: string,
): Promise<VerificationEvent | null> {
  const row = await db
    .selectFrom('verificationEvents')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? { ...row, payload: JSON.parse(row.payload) as Record<string, unknown> } : null
}

/**
 * A tenant's events of one mode (a test key sees test verifications' events), in creation order,
 * after a position (an event's time and id) or from a time on.
 */
export async function listTenantEvents(
  db: Db,
  tenantId: string,
  mode: KeyMode,
  from: { after: { createdAt: string; id: string } } | { since: string } | null,
  limit: number,
): Promise<VerificationEvent[]> {
  const rows = await db
    .selectFrom('verificationEvents')
    .selectAll('verificationEvents')
    .where('verificationEvents.tenantId', '=', tenantId)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('verifications')
          .select('verifications.id')
          .whereRef('verifications.id', '=', 'verificationEvents.verificationId')
          .where('verifications.tenantId', '=', tenantId)
          .where('verifications.mode', '=', mode),
      ),
    )
    .$if(from !== null && 'after' in from, (qb) => {
      const { createdAt, id } = (from as { after: { createdAt: string; id: string } }).after
      return qb.where((eb) =>
        eb.or([
          eb('verificationEvents.createdAt', '>', createdAt),
          eb.and([
            eb('verificationEvents.createdAt', '=', createdAt),
            eb('verificationEvents.id', '>', id),
          ]),
        ]),
      )
    })
    .$if(from !== null && 'since' in from, (qb) =>
      qb.where('verificationEvents.createdAt', '>=', (from as { since: string }).since),
    )
    .orderBy('verificationEvents.createdAt')
    .orderBy('verificationEvents.id')
    .limit(limit)
    .execute()
  return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }))
}

/**
 * A tenant's verifications of one mode (test or live) and surface, newest first, optionally by
 * external id; `after` is the last id of the previous page (keyset pagination on created time,
 * then id).
 */
export async function listVerifications(
  db: Db,
  tenantId: string,
  options: {
    mode: KeyMode
    surface: SurfaceName
    externalId?: string
    after?: Verification
    limit: number
  },
): Promise<Verification[]> {
  let query = db
    .selectFrom('verifications')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where('mode', '=', options.mode)
    .where('surface', '=', options.surface)
  if (options.externalId !== undefined) query = query.where('externalId', '=', options.externalId)
  const after = options.after
  if (after !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb('createdAt', '<', after.createdAt),
        eb.and([eb('createdAt', '=', after.createdAt), eb('id', '<', after.id)]),
      ]),
    )
  }
  const rows = await query
    .orderBy('createdAt', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit)
    .execute()
  return rows.map(toVerification)
}
