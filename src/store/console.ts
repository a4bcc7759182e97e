// The console's own tables (users, sessions, audit log) and the verification lists it shows.
// Every tenant query takes the tenant id first: a console user never reads another tenant's rows.
import { sql } from 'kysely'
import type { Kysely, Selectable } from 'kysely'
import type { ConsoleSessionTable, ConsoleUserTable, Database } from './schema.ts'
import { newId, newSortableId } from '../domain/ids.ts'

type Db = Kysely<Database>

export const CONSOLE_ROLES = ['owner', 'developer', 'reviewer', 'viewer'] as const
export type ConsoleRole = (typeof CONSOLE_ROLES)[number]

export interface ConsoleUser {
  id: string
  tenantId: string
  email: string
  passwordHash: string | null
  role: ConsoleRole
  totpSecretSealed: string | null
  inviteExpiresAt: string | null
  sessionsValidAfter: string | null
  disabledAt: string | null
  createdAt: string
}

function toUser(row: Selectable<ConsoleUserTable>): ConsoleUser {
  return {
    id: row.id,
    tenantId: row.tenantId,
    email: row.email,
    passwordHash: row.passwordHash,
    role: row.role as ConsoleRole,
    totpSecretSealed: row.totpSecretSealed,
    inviteExpiresAt: row.inviteExpiresAt,
    sessionsValidAfter: row.sessionsValidAfter,
    disabledAt: row.disabledAt,
    createdAt: row.createdAt,
  }
}

export interface NewConsoleUser {
  tenantId: string
  email: string
  role: ConsoleRole
  passwordHash: string | null
  inviteHash: string | null
  inviteExpiresAt: string | null
}

/** Adds a user; null when the tenant already has a user with that email. */
export async function insertConsoleUser(
  db: Db,
  user: NewConsoleUser,
  now: string,
): Promise<ConsoleUser | null> {
  const taken = await db
    .selectFrom('consoleUsers')
    .select('id')
    .where('tenantId', '=', user.tenantId)
    .where('email', '=', user.email)
    .executeTakeFirst()
  if (taken !== undefined) return null
  const row = {
    id: newId('usr'),
    ...user,
    totpSecretSealed: null,
    sessionsValidAfter: null,
    disabledAt: null,
    createdAt: now,
    updatedAt: now,
  }
  await db.insertInto('consoleUsers').values(row).execute()
  return toUser(row)
}

/** Every account of an email (one per tenant it belongs to), oldest first. */
export async function findUsersByEmail(db: Db, email: string): Promise<ConsoleUser[]> {
  const rows = await db
    .selectFrom('consoleUsers')
    .selectAll()
    .where('email', '=', email)
    .orderBy('createdAt')
    .orderBy('id')
    .limit(MAX_ACCOUNTS_PER_EMAIL)
    .execute()
  return rows.map(toUser)
}

/** Sign-in checks a password against each account of the email: a bound on that work. */
export const MAX_ACCOUNTS_PER_EMAIL = 20

export async function getConsoleUser(db: Db, id: string): Promise<ConsoleUser | null> {
  const row = await db
    .selectFrom('consoleUsers')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? toUser(row) : null
}

export async function findUserByInvite(db: Db, inviteHash: string): Promise<ConsoleUser | null> {
  const row = await db
    .selectFrom('consoleUsers')
    .selectAll()
    .where('inviteHash', '=', inviteHash)
    .executeTakeFirst()
  return row ? toUser(row) : null
}

export async function listConsoleUsers(db: Db, tenantId: string): Promise<ConsoleUser[]> {
  const rows = await db
    .selectFrom('consoleUsers')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .orderBy('createdAt')
    .execute()
  return rows.map(toUser)
}

/** Sets the password and closes the invitation (accepting it). */
export async function setPassword(
  db: Db,
  userId: string,
  passwordHash: string,
  now: string,
): Promise<void> {
  await db
    .updateTable('consoleUsers')
    .set({ passwordHash, inviteHash: null, inviteExpiresAt: null, updatedAt: now })
    .where('id', '=', userId)
    .execute()
}

export async function setTotpSecret(
  db: Db,
  userId: string,
  sealed: string | null,
  now: string,
): Promise<void> {
  await db
    .updateTable('consoleUsers')
    .set({ totpSecretSealed: sealed, updatedAt: now })
    .where('id', '=', userId)
    .execute()
}

/** Voids every session of the user (sign out everywhere). */
export async function endUserSessions(db: Db, userId: string, now: string): Promise<void> {
  await db
    .updateTable('consoleUsers')
    .set({ sessionsValidAfter: now, updatedAt: now })
    .where('id', '=', userId)
    .execute()
  await db.deleteFrom('consoleSessions').where('userId', '=', userId).execute()
}

export type ConsoleSessionRow = Selectable<ConsoleSessionTable>

export async function insertConsoleSession(
  db: Db,
  session: Omit<ConsoleSessionRow, 'id'>,
): Promise<ConsoleSessionRow> {
  const row = { id: newId('cse'), ...session }
  await db.insertInto('consoleSessions').values(row).execute()
  return row
}

export async function findConsoleSession(
  db: Db,
  tokenHash: string,
): Promise<ConsoleSessionRow | null> {
  const row = await db
    .selectFrom('consoleSessions')
    .selectAll()
    .where('tokenHash', '=', tokenHash)
    .executeTakeFirst()
  return row ?? null
}

export async function touchConsoleSession(
  db: Db,
  id: string,
  idleExpiresAt: string,
): Promise<void> {
  await db.updateTable('consoleSessions').set({ idleExpiresAt }).where('id', '=', id).execute()
}

export async function deleteConsoleSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom('consoleSessions').where('id', '=', id).execute()
}

/** Removes sessions past their expiry; returns how many. */
export async function pruneConsoleSessions(db: Db, now: string): Promise<number> {
  const result = await db
    .deleteFrom('consoleSessions')
    .where((eb) => eb.or([eb('expiresAt', '<', now), eb('idleExpiresAt', '<', now)]))
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

export interface AuditEntry {
  tenantId: string
  actor: string
  action: string
  verificationId: string | null
  detail: string | null
  createdAt: string
}

export async function insertAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('consoleAudit')
    .values({ id: newSortableId('aud'), ...entry })
    .execute()
}

export async function listAudit(
  db: Db,
  tenantId: string,
  options: { verificationId?: string; limit: number },
): Promise<(AuditEntry & { id: string })[]> {
  let query = db.selectFrom('consoleAudit').selectAll().where('tenantId', '=', tenantId)
  if (options.verificationId !== undefined)
    query = query.where('verificationId', '=', options.verificationId)
  return query.orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(options.limit).execute()
}

/** A verification as a console list shows it: no personal data. */
export interface VerificationRow {
  id: string
  mode: string
  status: string
  verificationType: string
  externalId: string | null
  reasons: string[]
  createdAt: string
  completedAt: string | null
}

export interface VerificationSearch {
  status?: string
  mode?: string
  verificationType?: string
  reason?: string
  externalId?: string
  /** ISO dates (inclusive day bounds). */
  from?: string
  to?: string
  /** Oldest first (the review queue); newest first otherwise. */
  oldestFirst?: boolean
  /** Keyset cursor: the created time and id of the last row of the previous page. */
  after?: { createdAt: string; id: string }
  limit: number
}

/**
 * One page of a tenant's verifications. The reason filter matches the decision's reason codes
 * in the stored result text (codes are `[a-z_]` words, quoted in the JSON).
 */
export async function searchVerifications(
  db: Db,
  tenantId: string,
  search: VerificationSearch,
): Promise<VerificationRow[]> {
  let query = db
    .selectFrom('verifications')
    .select([
      'id',
      'mode',
      'status',
      'verificationType',
      'externalId',
      'result',
      'createdAt',
      'completedAt',
    ])
    .where('tenantId', '=', tenantId)
  if (search.status !== undefined) query = query.where('status', '=', search.status)
  if (search.mode !== undefined) query = query.where('mode', '=', search.mode as 'live' | 'test')
  if (search.verificationType !== undefined)
    query = query.where('verificationType', '=', search.verificationType)
  if (search.externalId !== undefined) query = query.where('externalId', '=', search.externalId)
  if (search.reason !== undefined) query = query.where('result', 'like', `%"${search.reason}"%`)
  if (search.from !== undefined) query = query.where('createdAt', '>=', search.from)
  if (search.to !== undefined) query = query.where('createdAt', '<', search.to)
  const after = search.after
  const older = search.oldestFirst !== true
  if (after !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb('createdAt', older ? '<' : '>', after.createdAt),
        eb.and([eb('createdAt', '=', after.createdAt), eb('id', older ? '<' : '>', after.id)]),
      ]),
    )
  }
  const direction = older ? 'desc' : 'asc'
  // With an external id, its index finds the few rows; ordering by an expression keeps SQLite's
  // planner from walking the whole tenant in created order instead.
  const createdOrder =
    search.externalId !== undefined ? sql`${sql.ref('createdAt')} || ''` : sql.ref('createdAt')
  const rows = await query
    .orderBy(createdOrder, direction)
    .orderBy('id', direction)
    .limit(search.limit)
    .execute()
  return rows.map((row) => ({
    id: row.id,
    mode: row.mode,
    status: row.status,
    verificationType: row.verificationType,
    externalId: row.externalId,
    reasons:
      row.result === null ? [] : ((JSON.parse(row.result) as { reasons?: string[] }).reasons ?? []),
    createdAt: row.createdAt,
    completedAt: row.completedAt,
  }))
}
