// Revoked tokens: by token id (jti) or every token of a verification.
import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'
import { newId } from '../domain/ids.ts'

export interface Revocation {
  id: string
  tenantId: string
  jti: string | null
  verificationId: string | null
  reason: string
  createdAt: string
  expiresAt: string
}

/** Records a revocation; kept until `expiresAt` (when every token it could hit has expired). */
export async function insertRevocation(
  db: Kysely<Database>,
  input: Omit<Revocation, 'id'>,
): Promise<Revocation> {
  const row = { ...input, id: newId('rev') }
  await db.insertInto('tokenRevocations').values(row).execute()
  return row
}

/** Revocations created at or after `since` and not yet expired. */
export async function revocationsSince(
  db: Kysely<Database>,
  since: string,
  now: string,
): Promise<Revocation[]> {
  return db
    .selectFrom('tokenRevocations')
    .selectAll()
    .where('createdAt', '>=', since)
    .where('expiresAt', '>', now)
    .orderBy('createdAt')
    .execute()
}

/** Drops revocations no token can need any more. */
export async function pruneRevocations(db: Kysely<Database>, now: string): Promise<number> {
  const result = await db
    .deleteFrom('tokenRevocations')
    .where('expiresAt', '<=', now)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
