// Tenants and their API keys.
import type { Kysely, Selectable } from 'kysely'
import type { Database, TenantTable, ApiKeyTable } from './schema.ts'
import type { ApiKey, KeyMode, Plan, Tenant } from '../domain/tenants.ts'
import { generateApiKey } from '../domain/tenants.ts'
import { newId } from '../domain/ids.ts'

type Db = Kysely<Database>

function toTenant(row: Selectable<TenantTable>): Tenant {
  return {
    id: row.id,
    name: row.name,
    isActive: row.isActive === 1,
    plan: row.plan as Plan,
    rateLimitPerMinute: row.rateLimitPerMinute,
    monthlyQuota: row.monthlyQuota,
    hardLimit: row.hardLimit,
    allowOverage: row.allowOverage === 1,
    tokenTtlSeconds: row.tokenTtlSeconds,
    dataTtlDays: row.dataTtlDays,
    brandColor: row.brandColor,
    privacyNoticeUrl: row.privacyNoticeUrl,
    controllerName: row.controllerName,
    controllerContactUrl: row.controllerContactUrl,
    logoHash: row.logoHash,
    defaultWorkflowId: row.defaultWorkflowId,
    submitAllowed: row.submitAllowed === 1,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

function toApiKey(row: Selectable<ApiKeyTable>): ApiKey {
  return {
    id: row.id,
    tenantId: row.tenantId,
    mode: row.mode,
    prefix: row.prefix,
    name: row.name,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  }
}

export interface TenantInput {
  name: string
  plan: Plan
  isActive?: boolean
  rateLimitPerMinute?: number | null
  monthlyQuota?: number | null
  hardLimit?: number | null
  allowOverage?: boolean
  tokenTtlSeconds?: number | null
  dataTtlDays?: number | null
  brandColor?: string | null
  privacyNoticeUrl?: string | null
  controllerName?: string | null
  controllerContactUrl?: string | null
  submitAllowed?: boolean
}

export type TenantPatch = Partial<TenantInput>

/** Creates a tenant with one live API key; returns the key in clear (shown once). */
export async function createTenant(
  db: Db,
  input: TenantInput,
  now: Date,
): Promise<{ tenant: Tenant; apiKey: ApiKey; key: string }> {
  return db.transaction().execute(async (trx) => {
    const at = now.toISOString()
    const row = await trx
      .insertInto('tenants')
      .values({
        id: newId('ten'),
        name: input.name,
        isActive: input.isActive === false ? 0 : 1,
        plan: input.plan,
        rateLimitPerMinute: input.rateLimitPerMinute ?? null,
        monthlyQuota: input.monthlyQuota ?? null,
        hardLimit: input.hardLimit ?? null,
        allowOverage: input.allowOverage ? 1 : 0,
        tokenTtlSeconds: input.tokenTtlSeconds ?? null,
        dataTtlDays: input.dataTtlDays ?? null,
        brandColor: input.brandColor ?? null,
        privacyNoticeUrl: input.privacyNoticeUrl ?? null,
        controllerName: input.controllerName ?? null,
        controllerContactUrl: input.controllerContactUrl ?? null,
        submitAllowed: input.submitAllowed === false ? 0 : 1,
        createdAt: at,
        updatedAt: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    const tenant = toTenant(row)
    const { apiKey, key } = await createApiKey(trx, tenant.id, 'live', null, now)
    return { tenant, apiKey, key }
  })
}

/** A tenant by id, or null. */
export async function getTenant(db: Db, tenantId: string): Promise<Tenant | null> {
  const row = await db
    .selectFrom('tenants')
    .selectAll()
    .where('id', '=', tenantId)
    .executeTakeFirst()
  return row ? toTenant(row) : null
}

/** Every tenant, oldest first. */
export async function listTenants(db: Db): Promise<Tenant[]> {
  const rows = await db
    .selectFrom('tenants')
    .selectAll()
    .orderBy('createdAt')
    .orderBy('id')
    .execute()
  return rows.map(toTenant)
}

/** Applies a patch; null when the tenant does not exist. */
export async function updateTenant(
  db: Db,
  tenantId: string,
  patch: TenantPatch,
  now: Date,
): Promise<Tenant | null> {
  const row = await db
    .updateTable('tenants')
    .set({
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.plan !== undefined && { plan: patch.plan }),
      ...(patch.isActive !== undefined && { isActive: patch.isActive ? 1 : 0 }),
      ...(patch.rateLimitPerMinute !== undefined && {
        rateLimitPerMinute: patch.rateLimitPerMinute,
      }),
      ...(patch.monthlyQuota !== undefined && { monthlyQuota: patch.monthlyQuota }),
      ...(patch.hardLimit !== undefined && { hardLimit: patch.hardLimit }),
      ...(patch.allowOverage !== undefined && { allowOverage: patch.allowOverage ? 1 : 0 }),
      ...(patch.tokenTtlSeconds !== undefined && { tokenTtlSeconds: patch.tokenTtlSeconds }),
      ...(patch.dataTtlDays !== undefined && { dataTtlDays: patch.dataTtlDays }),
      ...(patch.brandColor !== undefined && { brandColor: patch.brandColor }),
      ...(patch.privacyNoticeUrl !== undefined && { privacyNoticeUrl: patch.privacyNoticeUrl }),
      ...(patch.controllerName !== undefined && { controllerName: patch.controllerName }),
      ...(patch.controllerContactUrl !== undefined && {
        controllerContactUrl: patch.controllerContactUrl,
      }),
      ...(patch.submitAllowed !== undefined && { submitAllowed: patch.submitAllowed ? 1 : 0 }),
      updatedAt: now.toISOString(),
    })
    .where('id', '=', tenantId)
    .returningAll()
    .executeTakeFirst()
  return row ? toTenant(row) : null
}

/** Adds an API key to a tenant; the clear key is returned once and never stored. */
export async function createApiKey(
  db: Db,
  tenantId: string,
  mode: KeyMode,
  name: string | null,
  now: Date,
): Promise<{ apiKey: ApiKey; key: string }> {
  const { key, hash, prefix } = generateApiKey(mode)
  const row = await db
    .insertInto('apiKeys')
    .values({
      id: newId('key'),
      tenantId,
      mode,
      keyHash: hash,
      prefix,
      name,
      createdAt: now.toISOString(),
      lastUsedAt: null,
      revokedAt: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return { apiKey: toApiKey(row), key }
}

/** A tenant's keys, newest first (revoked ones included, marked). */
export async function listApiKeys(db: Db, tenantId: string): Promise<ApiKey[]> {
  const rows = await db
    .selectFrom('apiKeys')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .orderBy('createdAt', 'desc')
    .orderBy('id')
    .execute()
  return rows.map(toApiKey)
}

/** Revokes one of a tenant's keys; null when the tenant has no such key. Idempotent. */
export async function revokeApiKey(
  db: Db,
  tenantId: string,
  keyId: string,
  now: Date,
): Promise<ApiKey | null> {
  await db
    .updateTable('apiKeys')
    .set({ revokedAt: now.toISOString() })
    .where('tenantId', '=', tenantId)
    .where('id', '=', keyId)
    .where('revokedAt', 'is', null)
    .execute()
  const row = await db
    .selectFrom('apiKeys')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where('id', '=', keyId)
    .executeTakeFirst()
  return row ? toApiKey(row) : null
}

/**
 * Replaces one of a tenant's active keys: a new key of the same mode and name (the clear key is
 * returned once), then the old one revoked. Null when the tenant has no such active key. The new
 * key exists before the old one stops, so a failure between the two never leaves none.
 */
export async function rollApiKey(
  db: Db,
  tenantId: string,
  keyId: string,
  now: Date,
): Promise<{ apiKey: ApiKey; key: string; replaced: ApiKey } | null> {
  const old = await db
    .selectFrom('apiKeys')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where('id', '=', keyId)
    .where('revokedAt', 'is', null)
    .executeTakeFirst()
  if (!old) return null
  const created = await createApiKey(db, tenantId, toApiKey(old).mode, old.name, now)
  const replaced = await revokeApiKey(db, tenantId, keyId, now)
  if (replaced === null) throw new Error('rolled key vanished')
  return { ...created, replaced }
}

/** Finds a key by id across tenants (CLI use). */
export async function getApiKeyById(db: Db, keyId: string): Promise<ApiKey | null> {
  const row = await db.selectFrom('apiKeys').selectAll().where('id', '=', keyId).executeTakeFirst()
  return row ? toApiKey(row) : null
}

/** The key with this hash and its tenant, whatever their state (the caller decides). */
export async function findKeyByHash(
  db: Db,
  keyHash: string,
): Promise<{ apiKey: ApiKey; tenant: Tenant } | null> {
  const keyRow = await db
    .selectFrom('apiKeys')
    .selectAll()
    .where('keyHash', '=', keyHash)
    .executeTakeFirst()
  if (!keyRow) return null
  const tenant = await getTenant(db, keyRow.tenantId)
  return tenant ? { apiKey: toApiKey(keyRow), tenant } : null
}

/** Records that a key was used (callers throttle this; it is informational). */
export async function touchApiKey(db: Db, keyId: string, now: Date): Promise<void> {
  await db
    .updateTable('apiKeys')
    .set({ lastUsedAt: now.toISOString() })
    .where('id', '=', keyId)
    .execute()
}
