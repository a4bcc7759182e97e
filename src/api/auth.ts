// Authentication of tenants (API keys) and of the operator (admin key).
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyRequest } from 'fastify'
import type { Deps } from '../deps.ts'
import type { ApiKey, Caller, Tenant } from '../domain/tenants.ts'
import { looksLikeApiKey } from '../domain/tenants.ts'
import { keyByValue, recordKeyUse } from '../services/api-keys.ts'
import { ApiError } from './errors.ts'

/** How long a key lookup is trusted before the store is asked again (other processes' revocations). */
const KEY_CACHE_TTL_MS = 5_000
const KEY_CACHE_MAX = 10_000
const TOUCH_EVERY_MS = 60_000

/** An active API key and its tenant. */
export interface TenantKey {
  apiKey: ApiKey
  tenant: Tenant
}
type Lookup = TenantKey | null

/**
 * The tenant a request authenticated as, in the mode of its key. Only routes declared
 * `auth: 'tenant'` have one; calling this elsewhere is a bug.
 */
export function callerOf(req: Pick<FastifyRequest, 'tenant' | 'apiKey'>): Caller {
  if (req.tenant === null || req.apiKey === null) {
    throw new Error('callerOf: the route does not authenticate a tenant')
  }
  return { tenant: req.tenant, mode: req.apiKey.mode }
}

/**
 * The tenant a request authenticated as. Routes declared `auth: 'tenant'` always have one; a
 * request without one is answered as unauthenticated rather than crashing the handler.
 */
export function tenantOf(req: Pick<FastifyRequest, 'tenant'>): Tenant {
  if (req.tenant === null) {
    throw new ApiError(
      'UNAUTHENTICATED_TENANT',
      'Invalid or revoked API key, or the tenant is inactive',
    )
  }
  return req.tenant
}

/** The API key a request presents: `x-tenant-api-key`, `x-api-key` or `Authorization: Bearer`. */
export function presentedApiKey(headers: IncomingHttpHeaders): string | null {
  const header = headers['x-tenant-api-key'] ?? headers['x-api-key']
  if (typeof header === 'string' && header !== '') return header.trim()
  const authorization = headers.authorization
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    if (match?.[1]) return match[1]
  }
  return null
}

export class TenantAuthenticator {
  // Keyed by the presented key itself, not its hash: SHA-256 through OpenSSL (a digest context set
  // up and torn down per call) cost more than the rest of a cached lookup put together, on every
  // request. A plain Map with a deadline per entry (lru-cache's TTL bookkeeping was ~1.5 % of a
  // /tokens/validate request): an entry is dropped when read after its deadline, and a sweep every
  // KEY_CACHE_TTL_MS drops the rest, so a key stays in memory at most twice that long after its
  // lookup. Only its hash ever reaches the store.
  private readonly cache = new Map<string, { value: Lookup; until: number }>()
  private readonly sweeper = setInterval(() => this.sweep(), KEY_CACHE_TTL_MS).unref()
  private readonly touchedAt = new Map<string, number>()

  constructor(private readonly deps: Pick<Deps, 'store' | 'clock' | 'logger'>) {}

  /** The active key and tenant for a presented key, or null (unknown, revoked, inactive). */
  async authenticate(presented: string): Promise<TenantKey | null> {
    const known = this.cached(presented)
    if (known !== undefined) return known
    const value = await keyByValue(this.deps, presented)
    if (this.cache.size >= KEY_CACHE_MAX) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(presented, { value, until: Date.now() + KEY_CACHE_TTL_MS })
    return this.accept(value)
  }

  /**
   * `authenticate`'s answer without waiting, when it needs no store lookup (a malformed key, or
   * one looked up in the last KEY_CACHE_TTL_MS); undefined when the store must be asked.
   */
  cached(presented: string): TenantKey | null | undefined {
    if (!looksLikeApiKey(presented)) return null
    const entry = this.cache.get(presented)
    if (entry === undefined) return undefined
    if (entry.until <= Date.now()) {
      this.cache.delete(presented)
      return undefined
    }
    return this.accept(entry.value)
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

  /** Stops the sweep (when the app closes). */
  close(): void {
    clearInterval(this.sweeper)
    this.cache.clear()
  }

  private sweep(): void {
    const now = Date.now()
    for (const [key, entry] of this.cache) if (entry.until <= now) this.cache.delete(key)
  }

  private touch(keyId: string): void {
    const now = this.deps.clock.now()
    const last = this.touchedAt.get(keyId) ?? 0
    if (now.getTime() - last < TOUCH_EVERY_MS) return
    this.touchedAt.set(keyId, now.getTime())
    if (this.touchedAt.size > 10_000) this.touchedAt.clear()
    recordKeyUse(this.deps, keyId, now).catch((err: unknown) =>
      this.deps.logger.warn({ err }, 'could not record API key use'),
    )
  }
}

/**
 * The admin key a request presents: `x-admin-key`, or `Authorization: Bearer` (what Prometheus
 * and other scrapers send).
 */
export function presentedAdminKey(headers: IncomingHttpHeaders): unknown {
  if (headers['x-admin-key'] !== undefined) return headers['x-admin-key']
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')
  return match?.[1]
}

/** Constant-time check of a presented admin key against the stored hash. */
export function adminKeyMatches(presented: unknown, expectedHash: Buffer): boolean {
  if (typeof presented !== 'string' || presented === '' || presented.length > 512) return false
  const hash = createHash('sha256').update(presented).digest()
  return hash.length === expectedHash.length && timingSafeEqual(hash, expectedHash)
}
