// Failed-authentication guard shared by every way a caller authenticates (API keys, the admin
// key, the OAuth token endpoint): one budget per address.
import type { Deps } from '../deps.ts'
import { ApiError } from './errors.ts'

/** Runs a limiter call; if the limiter itself fails, logs it and lets the request through. */
export async function limitsOrNull<T>(
  deps: Pick<Deps, 'logger'>,
  fn: () => Promise<T>,
): Promise<T | null> {
  try {
    return await fn()
  } catch (err) {
    deps.logger.warn({ err }, 'rate limiter unavailable; request not limited')
    return null
  }
}

/** Throws 429 AUTH_RATE_LIMITED when the address failed too often recently. */
export async function refuseBlockedAddress(
  deps: Pick<Deps, 'logger' | 'limits'>,
  address: string,
): Promise<void> {
  const blockedFor = await limitsOrNull(deps, () => deps.limits.authBlockedFor(address))
  if (blockedFor) {
    throw new ApiError(
      'AUTH_RATE_LIMITED',
      `Too many failed authentication attempts from this address; retry in ${blockedFor} s`,
      { retryAfterSeconds: blockedFor },
      { 'retry-after': String(blockedFor) },
    )
  }
}

/** Counts a failed authentication and waits as long as the limiter says (slowing guessers). */
export async function recordAuthFailure(
  deps: Pick<Deps, 'logger' | 'limits'>,
  address: string,
): Promise<void> {
  const outcome = await limitsOrNull(deps, () => deps.limits.authFailed(address))
  if (outcome && outcome.delayMs > 0) await new Promise((r) => setTimeout(r, outcome.delayMs))
}
