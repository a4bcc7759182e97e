// Rate limits with rate-limiter-flexible: per tenant per minute, and per address for failed
// authentication. In Redis when REDIS_URL is set (all processes share one budget), in memory
// otherwise. If Redis goes away, each process falls back to its own in-memory limiter (the
// library's insurance limiter) and goes back to Redis when it is ready again.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'
import type { RateLimiterAbstract } from 'rate-limiter-flexible'
import type { Redis } from 'ioredis'

const WINDOW_SECONDS = 60
/** Failed authentications from one address: slowed after SLOW_AFTER, refused after BLOCK_AFTER. */
export const AUTH_FAILURE_WINDOW_SECONDS = 15 * 60
export const AUTH_SLOW_AFTER = 5
export const DEFAULT_AUTH_BLOCK_AFTER = 30
export const AUTH_BLOCK_SECONDS = 15 * 60
const AUTH_SLOW_STEP_MS = 200
const NOT_BLOCKED_CACHE_MS = 1000
const AUTH_SLOW_MAX_MS = 2000
/** Points one hosted-page session may spend per minute (a state read costs 1, an upload 10). */
export const SESSION_PAGE_POINTS = 200

export interface RateDecision {
  allowed: boolean
  limit: number
  remaining: number
  /** Milliseconds until the window resets. */
  resetMs: number
}

export class Limits {
  private readonly tenantLimiters = new Map<number, RateLimiterAbstract>()
  private readonly authFailures: RateLimiterAbstract
  private readonly sessionPage: RateLimiterAbstract
  private readonly notBlocked = new Map<string, number>()

  constructor(
    private readonly redis: Redis | null,
    private readonly keyPrefix: string,
    /** Failed authentications from one address in 15 minutes before it is refused for 15 minutes. */
    private readonly authBlockAfter = DEFAULT_AUTH_BLOCK_AFTER,
  ) {
    this.authFailures = this.limiter(
      'authfail',
      authBlockAfter,
      AUTH_FAILURE_WINDOW_SECONDS,
      AUTH_BLOCK_SECONDS,
    )
    this.sessionPage = this.limiter('sessionpage', SESSION_PAGE_POINTS, WINDOW_SECONDS)
  }

  private limiter(
    name: string,
    points: number,
    duration: number,
    blockDuration = 0,
  ): RateLimiterAbstract {
    const options = { points, duration, blockDuration, keyPrefix: `${this.keyPrefix}rl:${name}` }
    if (this.redis === null) return new RateLimiterMemory(options)
    return new RateLimiterRedis({
      ...options,
      storeClient: this.redis,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(options),
    })
  }

  /** Takes one request from a tenant's per-minute budget. */
  consumeTenant(tenantId: string, limitPerMinute: number): Promise<RateDecision> {
    let limiter = this.tenantLimiters.get(limitPerMinute)
    if (limiter === undefined) {
      limiter = this.limiter(`tenant${limitPerMinute}`, limitPerMinute, WINDOW_SECONDS)
      this.tenantLimiters.set(limitPerMinute, limiter)
    }
    // One promise on top of the limiter's (this runs on every authenticated request).
    return limiter.consume(tenantId, 1).then(
      (res) => ({
        allowed: true,
        limit: limitPerMinute,
        remaining: res.remainingPoints,
        resetMs: res.msBeforeNext,
      }),
      (rejection: unknown) => {
        if (!(rejection instanceof RateLimiterRes)) throw rejection
        return {
          allowed: false,
          limit: limitPerMinute,
          remaining: 0,
          resetMs: rejection.msBeforeNext,
        }
      },
    )
  }

  /**
   * Takes `cost` points from a hosted-page session's per-minute budget (`SESSION_PAGE_POINTS`):
   * a person's page makes a handful of calls a minute, while a leaked link must not become a
   * free way to run the document reader in a loop.
   */
  async consumeSessionPage(verificationId: string, cost: number): Promise<RateDecision> {
    try {
      const res = await this.sessionPage.consume(verificationId, cost)
      return {
        allowed: true,
        limit: SESSION_PAGE_POINTS,
        remaining: res.remainingPoints,
        resetMs: res.msBeforeNext,
      }
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection
      return {
        allowed: false,
        limit: SESSION_PAGE_POINTS,
        remaining: 0,
        resetMs: rejection.msBeforeNext,
      }
    }
  }

  /**
   * Seconds an address must wait before trying to authenticate again, or 0. "Not blocked" is
   * remembered for a second per address (so a busy client costs one store lookup a second, not
   * one per request); a block recorded by this process is seen at once, by others within 1 s.
   */
  async authBlockedFor(address: string): Promise<number> {
    if (this.recentlyClear(address)) return 0
    const res = await this.authFailures.get(address)
    if (res === null || res.consumedPoints <= this.authBlockAfter) {
      if (this.notBlocked.size > 50_000) this.notBlocked.clear()
      this.notBlocked.set(address, Date.now() + NOT_BLOCKED_CACHE_MS)
      return 0
    }
    return Math.max(1, Math.ceil(res.msBeforeNext / 1000))
  }

  /** Whether `address` was found not blocked within the last second: no lookup, no promise. */
  recentlyClear(address: string): boolean {
    const clearUntil = this.notBlocked.get(address)
    return clearUntil !== undefined && clearUntil > Date.now()
  }

  /** Records a failed authentication; returns how long to delay the answer (slowing guessers). */
  async authFailed(address: string): Promise<{ delayMs: number; blockedForSeconds: number }> {
    this.notBlocked.delete(address)
    let res: RateLimiterRes
    try {
      res = await this.authFailures.consume(address, 1)
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection
      return {
        delayMs: 0,
        blockedForSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
      }
    }
    const over = res.consumedPoints - AUTH_SLOW_AFTER
    return {
      delayMs: over > 0 ? Math.min(AUTH_SLOW_MAX_MS, over * AUTH_SLOW_STEP_MS) : 0,
      blockedForSeconds: 0,
    }
  }
}
