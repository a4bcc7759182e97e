// Counts over verifications for the admin views.
import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'

export interface VerificationSummary {
  id: string
  status: string
  mode: string
  verificationType: string
  createdAt: string
  completedAt: string | null
}

/** A tenant's verification count and its newest few (usage lives in store/usage.ts). */
export async function tenantVerificationStats(
  db: Kysely<Database>,
  tenantId: string,
  recent = 10,
): Promise<{ total: number; last: VerificationSummary[] }> {
  const [{ total }, last] = await Promise.all([
    db
      .selectFrom('verifications')
      .select((eb) => eb.fn.countAll<string | number>().as('total'))
      .where('tenantId', '=', tenantId)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('verifications')
      .select(['id', 'status', 'mode', 'verificationType', 'createdAt', 'completedAt'])
      .where('tenantId', '=', tenantId)
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .limit(recent)
      .execute(),
  ])
  return { total: Number(total), last }
}

/** Counts of tenants and verifications across the instance. */
export async function instanceCounts(
  db: Kysely<Database>,
): Promise<{ totalTenants: number; totalVerifications: number }> {
  const [{ tenants }, { verifications }] = await Promise.all([
    db
      .selectFrom('tenants')
      .select((eb) => eb.fn.countAll<string | number>().as('tenants'))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('verifications')
      .select((eb) => eb.fn.countAll<string | number>().as('verifications'))
      .executeTakeFirstOrThrow(),
  ])
  return { totalTenants: Number(tenants), totalVerifications: Number(verifications) }
}
