// Short handoff links: a code a person can type on a phone, standing for one verification's page
// link until that link expires.
import type { Kysely } from 'kysely'
import type { Database, HandoffCodeTable } from './schema.ts'

export type HandoffCode = HandoffCodeTable

/** The verification's code that is still valid at `now`, if it has one. */
export async function currentHandoffCode(
  db: Kysely<Database>,
  verificationId: string,
  now: string,
): Promise<HandoffCode | null> {
  const row = await db
    .selectFrom('handoffCodes')
    .selectAll()
    .where('verificationId', '=', verificationId)
    .where('expiresAt', '>', now)
    .orderBy('expiresAt', 'desc')
    .executeTakeFirst()
  return row ?? null
}

/** Stores a new code; false when the code is taken (the caller draws another). */
export async function insertHandoffCode(db: Kysely<Database>, row: HandoffCode): Promise<boolean> {
  const result = await db
    .insertInto('handoffCodes')
    .values(row)
    .onConflict((oc) => oc.column('code').doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1
}

export async function findHandoffCode(
  db: Kysely<Database>,
  code: string,
): Promise<HandoffCode | null> {
  const row = await db
    .selectFrom('handoffCodes')
    .selectAll()
    .where('code', '=', code)
    .executeTakeFirst()
  return row ?? null
}

/** Drops codes whose link has expired. */
export async function pruneHandoffCodes(db: Kysely<Database>, now: string): Promise<number> {
  const result = await db
    .deleteFrom('handoffCodes')
    .where('expiresAt', '<=', now)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
