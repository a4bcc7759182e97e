// The ends of a verification's life: open ones past their time to live (to expire) and any past it
// whose personal data is still held (to purge), and the scrubbing of that data.
import type { Kysely, Transaction } from 'kysely'
import type { Database } from './schema.ts'
import { statusesThatMayBecome } from '../domain/verification.ts'

type Db = Kysely<Database> | Transaction<Database>

/** Open verifications whose time to live has passed (oldest first, bounded). */
export async function findExpired(
  db: Db,
  now: string,
  limit: number,
): Promise<{ id: string; tenantId: string }[]> {
  return db
    .selectFrom('verifications')
    .select(['id', 'tenantId'])
    .where('status', 'in', statusesThatMayBecome('expired'))
    .where('expiresAt', '<=', now)
    .orderBy('expiresAt')
    .limit(limit)
    .execute()
}

/** Verifications whose time to live passed and whose personal data is not purged yet. */
export async function findDueForPurge(
  db: Db,
  now: string,
  limit: number,
): Promise<{ id: string; tenantId: string }[]> {
  return db
    .selectFrom('verifications')
    .select(['id', 'tenantId'])
    .where('expiresAt', '<=', now)
    .where('purgedAt', 'is', null)
    .orderBy('expiresAt')
    .limit(limit)
    .execute()
}

/** Scrubs a verification's personal fields (its decision stays). */
export async function scrubVerification(
  db: Db,
  tenantId: string,
  id: string,
  at: string,
): Promise<void> {
  await db
    .updateTable('verifications')
    .set({
      personSealed: null,
      tokenSealed: null,
      client: null,
      applicantSealed: null,
      purgedAt: at,
      updatedAt: at,
    })
    .where('tenantId', '=', tenantId)
    .where('id', '=', id)
    .execute()
}
