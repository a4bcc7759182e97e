// Tenants' logos: PNGs the engine re-encoded, one per tenant, named by their hash.
import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'
import type { Tenant } from '../domain/tenants.ts'
import { getTenant } from './tenants.ts'

type Db = Kysely<Database>

export interface LogoImage {
  /** SHA-256 of the PNG, hex. */
  hash: string
  png: Buffer
  width: number
  height: number
}

/** Sets a tenant's logo (replacing any); the tenant after the change, or null if it is unknown. */
export async function putTenantLogo(
  db: Db,
  tenantId: string,
  logo: LogoImage,
  now: Date,
): Promise<Tenant | null> {
  const at = now.toISOString()
  const changed = await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('tenants')
      .set({ logoHash: logo.hash, updatedAt: at })
      .where('id', '=', tenantId)
      .executeTakeFirst()
    if (updated.numUpdatedRows === 0n) return false
    const row = { hash: logo.hash, png: logo.png, width: logo.width, height: logo.height }
    await trx
      .insertInto('tenantLogos')
      .values({ tenantId, ...row, createdAt: at })
      .onConflict((oc) => oc.column('tenantId').doUpdateSet({ ...row, createdAt: at }))
      .execute()
    return true
  })
  return changed ? getTenant(db, tenantId) : null
}

/** Removes a tenant's logo (nothing to remove is fine); the tenant, or null if it is unknown. */
export async function deleteTenantLogo(
  db: Db,
  tenantId: string,
  now: Date,
): Promise<Tenant | null> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('tenants')
      .set({ logoHash: null, updatedAt: now.toISOString() })
      .where('id', '=', tenantId)
      .where('logoHash', 'is not', null)
      .execute()
    await trx.deleteFrom('tenantLogos').where('tenantId', '=', tenantId).execute()
  })
  return getTenant(db, tenantId)
}

/** A tenant's logo PNG when its hash is `hash`, else null. */
export async function tenantLogoPng(
  db: Db,
  tenantId: string,
  hash: string,
): Promise<Buffer | null> {
  const row = await db
    .selectFrom('tenantLogos')
    .select('png')
    .where('tenantId', '=', tenantId)
    .where('hash', '=', hash)
    .executeTakeFirst()
  return row ? Buffer.from(row.png) : null
}
