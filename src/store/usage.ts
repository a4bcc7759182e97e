// Billable units per tenant per UTC month and day. Counting is one conditional upsert, so it is
// exact under any concurrency on SQLite and PostgreSQL: no unit lost, none counted twice, and
// never more than the cap.
import { sql } from 'kysely'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from './schema.ts'

type Db = Kysely<Database> | Transaction<Database>

/**
 * Adds one unit for the month and day of `at` unless the month already holds `cap` units.
 * Returns the month's new total, or null when the cap was reached (nothing counted).
 */
export async function countUnit(
  db: Db,
  tenantId: string,
  at: Date,
  cap: number | null,
): Promise<number | null> {
  const month = at.toISOString().slice(0, 7)
  const day = at.toISOString().slice(0, 10)
  if (cap !== null && cap <= 0) return null
  const row = await db
    .insertInto('usageMonths')
    .values({ tenantId, month, units: 1 })
    .onConflict((oc) => {
      const update = oc
        .columns(['tenantId', 'month'])
        .doUpdateSet({ units: sql`usage_months.units + 1` })
      return cap === null ? update : update.where(sql<boolean>`usage_months.units < ${cap}`)
    })
    .returning('units')
    .executeTakeFirst()
  if (row === undefined) return null
  await db
    .insertInto('usageDays')
    .values({ tenantId, day, units: 1 })
    .onConflict((oc) =>
      oc.columns(['tenantId', 'day']).doUpdateSet({ units: sql`usage_days.units + 1` }),
    )
    .execute()
  return Number(row.units)
}

/** Units a tenant used in a month (YYYY-MM). */
export async function monthUnits(db: Db, tenantId: string, month: string): Promise<number> {
  const row = await db
    .selectFrom('usageMonths')
    .select('units')
    .where('tenantId', '=', tenantId)
    .where('month', '=', month)
    .executeTakeFirst()
  return Number(row?.units ?? 0)
}

/** A tenant's units per day of a month, oldest first (days without use omitted). */
export async function dayUnits(
  db: Db,
  tenantId: string,
  month: string,
): Promise<{ day: string; units: number }[]> {
  const rows = await db
    .selectFrom('usageDays')
    .select(['day', 'units'])
    .where('tenantId', '=', tenantId)
    .where('day', '>=', `${month}-01`)
    .where('day', '<=', `${month}-31`)
    .orderBy('day')
    .execute()
  return rows.map((r) => ({ day: r.day, units: Number(r.units) }))
}

/** Every tenant's units in a month (tenants without use included with 0). */
export async function allTenantsMonth(
  db: Db,
  month: string,
): Promise<{ tenantId: string; name: string; plan: string; units: number }[]> {
  const rows = await db
    .selectFrom('tenants')
    .leftJoin('usageMonths', (join) =>
      join.onRef('usageMonths.tenantId', '=', 'tenants.id').on('usageMonths.month', '=', month),
    )
    .select(['tenants.id as tenantId', 'tenants.name', 'tenants.plan', 'usageMonths.units'])
    .orderBy('tenants.createdAt')
    .orderBy('tenants.id')
    .execute()
  return rows.map((r) => ({
    tenantId: r.tenantId,
    name: r.name,
    plan: r.plan,
    units: Number(r.units ?? 0),
  }))
}
