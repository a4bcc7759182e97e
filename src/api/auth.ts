// Authentication of tenants (API keys) and of the operator (admin key).
import { createHash, timingSafeEqual } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { FastifyRequest } from 'fastify'
import type { Deps } from '../deps.ts'
import type { ApiKey, Tenant } from '../domain/tenants.ts'
import { hashApiKey, looksLikeApiKey } from '../domain/tenants.ts'
import { findKeyByHash, touchApiKey } from '../store/tenants.ts'

/** How long a key lookup is trusted before the store is asked again (other processes' revocations). */
const KEY_CACHE_TTL_MS = 5_000
const TOUCH_EVERY_MS = 60_000

/** An active API key and its tenant. */
export interface TenantKey {
  apiKey: ApiKey
  tenant: Tenant
}
type Lookup = TenantKey | null

/** The API key a request presents: `x-tenant-api-key`, `x-api-key` or `Authorization: Bearer`. */
export function presentedApiKey(req: FastifyRequest): string | null {
  const header = req.headers['x-tenant-api-key'] ?? req.headers['x-api-key']
  if (typeof header === 'string' && header !== '') return header.trim()
  const authorization = req.headers.authorization
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    if (match?.[1]) return match[1]
  }
  return null
}

export class TenantAuthenticator {
  // Keyed by the presented key itself, not its hash: SHA-256 through OpenSSL (a digest context set
  // up and torn down per call) cost more than the rest of a cached lookup put together, on every
  // request. Expired entries are purged on time, so a key stays in this map at most
  // KEY_CACHE_TTL_MS after its lookup; only its hash ever reaches the store.
  private readonly cache = new LRUCache<string, { value: Lookup }>({
    max: 10_000,
    ttl: KEY_CACHE_TTL_MS,
    ttlAutopurge: true,
  })
  private readonly touchedAt = new Map<string, number>()

  constructor(private readonly deps: Pick<Deps, 'store' | 'clock' | 'logger'>) {}

  /** The active key and tenant for a presented key, or null (unknown, revoked, inactive). */
  async authenticate(presented: string): Promise<TenantKey | null> {
    const known = this.cached(presented)
    if (known !== undefined) return known
    const entry = { value: await findKeyByHash(this.deps.store.db, hashApiKey(presented)) }
    this.cache.set(presented, entry)
    return this.accept(entry.value)
  }

  /**
   * `authenticate`'s answer without waiting, when it needs no store lookup (a malformed key, or
   * one looked up in the last KEY_CACHE_TTL_MS); undefined when the store must be asked.
   */
  cached(presented: string): TenantKey | null | undefined {
    if (!looksLikeApiKey(presented)) return null
    const entry = this.cache.get(presented)
    return entry === undefined ? undefined : this.accept(entry.value)
  }

  private accept(found: Lookup): TenantKey | null {
    if (found === null || found.apiKey.revokedAt !== null || !found.tenant.isActive) return null
    this.touch(found.apiKey.id)
    return found
  }

  /** Forgets cached lookups (after a key is revoked or a tenant changes in this process). */
  invalidate(): void {
    this.cache.clear()
  }

  private touch(keyId: string): void {
    const now = this.deps.clock.now()
    const last = this.touchedAt.get(keyId) ?? 0
    if (now.getTime() - last < TOUCH_EVERY_MS) return
    this.touchedAt.set(keyId, now.getTime())
    if (this.touchedAt.size > 10_000) this.touchedAt.clear()
    touchApiKey(this.deps.store.db, keyId, now).catch((err: unknown) =>
      this.deps.logger.warn({ err }, 'could not record API key use'),
    )
  }
}

/** Constant-time check of a presented admin key against the stored hash. */
export function adminKeyMatches(presented: unknown, expectedHash: Buffer): boolean {
  if (typeof presented !== 'string' || presented === '' || presented.length > 512) return false
  const hash = createHash('sha256').update(presented).digest()
  return hash.length === expectedHash.length && timingSafeEqual(hash, expectedHash)
}
