// The API keys requests present: who they belong to, and when each was last used. The API's
// authentication (api/auth.ts, api/access-tokens.ts) caches and decides; this reads the store.
import type { Deps } from '../deps.ts'
import type { ApiKey, Tenant } from '../domain/tenants.ts'
import { hashApiKey } from '../domain/tenants.ts'
import { findKeyByHash, getApiKeyById, getTenant, touchApiKey } from '../store/tenants.ts'

/** A key and the tenant it belongs to. */
export interface KeyAndTenant {
  apiKey: ApiKey
  tenant: Tenant
}

/** The key a caller presented, with its tenant, or null if no key has that value. */
export async function keyByValue(
  deps: Pick<Deps, 'store'>,
  presented: string,
): Promise<KeyAndTenant | null> {
  return findKeyByHash(deps.store.db, hashApiKey(presented))
}

/**
 * The key with this id if it belongs to this tenant, is not revoked and its tenant is active;
 * else null.
 */
export async function activeKeyById(
  deps: Pick<Deps, 'store'>,
  tenantId: string,
  keyId: string,
): Promise<KeyAndTenant | null> {
  const apiKey = await getApiKeyById(deps.store.db, keyId)
  if (apiKey === null || apiKey.tenantId !== tenantId || apiKey.revokedAt !== null) return null
  const tenant = await getTenant(deps.store.db, apiKey.tenantId)
  if (tenant === null || !tenant.isActive) return null
  return { apiKey, tenant }
}

/** Records that a key was used now (what the admin sees as lastUsedAt). */
export async function recordKeyUse(
  deps: Pick<Deps, 'store'>,
  keyId: string,
  now: Date,
): Promise<void> {
  await touchApiKey(deps.store.db, keyId, now)
}
