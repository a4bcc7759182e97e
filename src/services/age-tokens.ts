// Mints and validates age tokens for the whole process: the keyring (refreshed from the store),
// the revocation list (polled from the store, pushed through Redis when configured) and a
// bounded cache of verified tokens so a site validating the same token on every request costs a
// map lookup, not a signature check.
import type { JWK } from 'jose'
import { LRUCache } from 'lru-cache'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Kysely } from 'kysely'
import type { Database } from '../store/schema.ts'
import type { Sealer } from '../store/sealer.ts'
import { ensureSigningKey, loadKeyring } from '../store/signing-keys.ts'
import type { Keyring } from '../store/signing-keys.ts'
import { insertRevocation, revocationsSince } from '../store/revocations.ts'
import { verificationMode } from '../store/verifications.ts'
import type { Revocation } from '../store/revocations.ts'
import { checkAgeToken, mintAgeToken, verificationKeys } from '../domain/age-tokens.ts'
import type { AgeTokenClaims, VerificationKeys } from '../domain/age-tokens.ts'
import type { AttestationMethod } from '../domain/verification.ts'

export type InvalidReason =
  | 'TOKEN_NOT_FOUND'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_INVALID'
  | 'TENANT_MISMATCH'
  | 'LIVEMODE_MISMATCH'
  | 'TOKEN_REVOKED'

export type Validation =
  { valid: true; claims: AgeTokenClaims } | { valid: false; reason: InvalidReason }

const POLL_REVOCATIONS_MS = 1000
const REFRESH_KEYS_MS = 60_000
/** Overlap when polling so a revocation written with a slightly older clock is not missed. */
const POLL_OVERLAP_MS = 10_000
/** Verification-wide revocations outlive any token (tenants' token lifetime is at most 1 year). */
export const MAX_TOKEN_LIFETIME_MS = 366 * 86_400_000

interface TokenServiceDeps {
  db: Kysely<Database>
  sealer: Sealer
  logger: Logger
  clock: { now(): Date }
  issuer: string
  redis: Redis | null
  redisChannel: string
}

export class TokenService {
  private keyring!: Keyring
  private verificationKeys!: VerificationKeys
  private readonly revokedTokens = new Map<string, string>()
  private readonly revokedVerifications = new Map<string, string>()
  private readonly verified = new LRUCache<string, AgeTokenClaims>({ max: 20_000 })
  private cursor = new Date(0).toISOString()
  private timers: NodeJS.Timeout[] = []
  private subscriber: Redis | null = null
  private lastKeyReload = 0

  private constructor(private readonly deps: TokenServiceDeps) {}

  /** Loads keys (creating the first one if needed) and the revocation list, then keeps both fresh. */
  static async start(deps: TokenServiceDeps): Promise<TokenService> {
    const service = new TokenService(deps)
    await ensureSigningKey(deps.db, deps.sealer, deps.clock.now())
    await service.reloadKeys()
    await service.pollRevocations()
    service.timers.push(
      setInterval(
        () =>
          void service
            .pollRevocations()
            .catch((err: unknown) => service.warn(err, 'revocation poll failed')),
        POLL_REVOCATIONS_MS,
      ),
      setInterval(
        () =>
          void service.reloadKeys().catch((err: unknown) => service.warn(err, 'key reload failed')),
        REFRESH_KEYS_MS,
      ),
    )
    for (const timer of service.timers) timer.unref()
    service.subscribe()
    return service
  }

  /** Public keys for /.well-known/jwks.json. */
  publicJwks(): JWK[] {
    return this.keyring.publicJwks
  }

  /** Signs a token for a decided verification. */
  async mint(input: {
    verificationId: string
    tenantId: string
    livemode: boolean
    method: AttestationMethod
    verifiedAge: number | null
    ttlSeconds: number
  }): Promise<{ token: string; jti: string; expiresAt: Date }> {
    return mintAgeToken(this.keyring.active, {
      ...input,
      issuer: this.deps.issuer,
      now: this.deps.clock.now(),
    })
  }

  /**
   * Checks a token presented by a tenant: signature, expiry, tenant, mode (a test token never
   * validates for a live key, nor a live one for a test key) and revocation.
   */
  async validate(token: string, tenantId: string, livemode: boolean): Promise<Validation> {
    const known = this.validateVerified(token, tenantId, livemode)
    if (known !== undefined) return known
    const now = this.deps.clock.now()
    let check = await checkAgeToken(token, this.verificationKeys, this.deps.issuer, now)
    if (!check.ok && check.reason === 'TOKEN_UNKNOWN_KEY' && (await this.reloadKeysIfStale())) {
      check = await checkAgeToken(token, this.verificationKeys, this.deps.issuer, now)
    }
    if (!check.ok) {
      return {
        valid: false,
        reason: check.reason === 'TOKEN_UNKNOWN_KEY' ? 'TOKEN_INVALID' : check.reason,
      }
    }
    const claims = check.claims
    if (claims.livemode === undefined) {
      // Minted before tokens said their mode: the verification's own mode says it.
      const mode = await verificationMode(this.deps.db, claims.tid, claims.sub)
      if (mode === null) return { valid: false, reason: 'TOKEN_NOT_FOUND' }
      claims.livemode = mode === 'live'
    }
    this.verified.set(token, claims)
    return this.standing(claims, tenantId, livemode)
  }

  /**
   * `validate`'s answer without waiting, for a token whose signature was checked before (the
   * common case: a site validates the same token on every request); undefined otherwise.
   */
  validateVerified(token: string, tenantId: string, livemode: boolean): Validation | undefined {
    const claims = this.verified.get(token)
    if (claims === undefined) return undefined
    if (claims.exp * 1000 <= this.deps.clock.now().getTime()) {
      this.verified.delete(token)
      return { valid: false, reason: 'TOKEN_EXPIRED' }
    }
    return this.standing(claims, tenantId, livemode)
  }

  /** A signed, unexpired token's standing: its tenant's, in its mode, and not revoked. */
  private standing(claims: AgeTokenClaims, tenantId: string, livemode: boolean): Validation {
    if (claims.tid !== tenantId) return { valid: false, reason: 'TENANT_MISMATCH' }
    if (claims.livemode !== livemode) return { valid: false, reason: 'LIVEMODE_MISMATCH' }
    const revoked = this.revokedTokens.get(claims.jti) ?? this.revokedVerifications.get(claims.sub)
    if (revoked !== undefined) {
      return { valid: false, reason: revoked === 'deleted' ? 'TOKEN_NOT_FOUND' : 'TOKEN_REVOKED' }
    }
    return { valid: true, claims }
  }

  /** Revokes one token (by its claims) or every token of a verification; effective on every process. */
  async revoke(input: {
    tenantId: string
    jti?: string
    tokenExpiresAt?: Date
    verificationId?: string
    reason: string
  }): Promise<Revocation> {
    const now = this.deps.clock.now()
    const expiresAt = input.tokenExpiresAt ?? new Date(now.getTime() + MAX_TOKEN_LIFETIME_MS)
    const revocation = await insertRevocation(this.deps.db, {
      tenantId: input.tenantId,
      jti: input.jti ?? null,
      verificationId: input.jti ? null : (input.verificationId ?? null),
      reason: input.reason,
      createdAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
    })
    this.apply(revocation)
    this.deps.redis?.publish(this.deps.redisChannel, JSON.stringify(revocation)).catch(() => {
      // Other processes also poll the store every second; Redis only makes it immediate.
    })
    return revocation
  }

  /** Decodes a token's claims after checking it, for revoking by token. */
  async claimsOf(token: string): Promise<AgeTokenClaims | null> {
    const check = await checkAgeToken(
      token,
      this.verificationKeys,
      this.deps.issuer,
      this.deps.clock.now(),
    )
    return check.ok ? check.claims : null
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer)
    this.timers = []
    this.subscriber?.disconnect()
  }

  /** Re-reads keys from the store (after `loom keys rotate` on any process). */
  async reloadKeys(): Promise<void> {
    this.keyring = await loadKeyring(this.deps.db, this.deps.sealer, this.deps.clock.now())
    this.verificationKeys = verificationKeys(this.keyring.publicJwks)
    this.lastKeyReload = Date.now()
  }

  private async reloadKeysIfStale(): Promise<boolean> {
    if (Date.now() - this.lastKeyReload < 5000) return false
    await this.reloadKeys()
    return true
  }

  private apply(revocation: Revocation): void {
    if (revocation.jti !== null) this.revokedTokens.set(revocation.jti, revocation.reason)
    if (revocation.verificationId !== null) {
      this.revokedVerifications.set(revocation.verificationId, revocation.reason)
    }
  }

  private async pollRevocations(): Promise<void> {
    const now = this.deps.clock.now()
    const since = new Date(Math.max(0, Date.parse(this.cursor) - POLL_OVERLAP_MS)).toISOString()
    const rows = await revocationsSince(this.deps.db, since, now.toISOString())
    for (const row of rows) {
      this.apply(row)
      if (row.createdAt > this.cursor) this.cursor = row.createdAt
    }
  }

  private subscribe(): void {
    if (this.deps.redis === null) return
    const subscriber = this.deps.redis.duplicate({
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
    })
    subscriber.on('error', () => undefined) // the main connection already reports Redis trouble
    subscriber.on('message', (_channel: string, message: string) => {
      try {
        this.apply(JSON.parse(message) as Revocation)
      } catch (err) {
        this.warn(err, 'bad revocation message')
      }
    })
    subscriber
      .subscribe(this.deps.redisChannel)
      .catch((err: unknown) => this.warn(err, 'revocation subscribe failed'))
    this.subscriber = subscriber
  }

  private warn(err: unknown, msg: string): void {
    this.deps.logger.warn({ err }, msg)
  }
}
