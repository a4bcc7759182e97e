// Tenants, plans and API keys: the rules, no I/O.
import { hash, randomBytes } from 'node:crypto'

export type Plan = 'starter' | 'standard' | 'professional' | 'enterprise'
export const PLANS = ['starter', 'standard', 'professional', 'enterprise'] as const

export interface PlanLimits {
  rateLimitPerMinute: number
  monthlyQuota: number
}

/**
 * The native API reference: 60 requests/minute per tenant by default (the starter plan); the one-shot API: standard
 * 100/min, professional 1,000/min, enterprise custom (set on the tenant, these are its defaults).
 */
export const PLAN_LIMITS: Record<Plan, PlanLimits> = {
  starter: { rateLimitPerMinute: 60, monthlyQuota: 1_000 },
  standard: { rateLimitPerMinute: 100, monthlyQuota: 10_000 },
  professional: { rateLimitPerMinute: 1_000, monthlyQuota: 100_000 },
  enterprise: { rateLimitPerMinute: 5_000, monthlyQuota: 1_000_000 },
}

export const DEFAULT_PLAN: Plan = 'starter'

export interface Tenant {
  id: string
  name: string
  isActive: boolean
  plan: Plan
  /** The tenant's own override; null means the plan's figure. */
  rateLimitPerMinute: number | null
  monthlyQuota: number | null
  hardLimit: number | null
  allowOverage: boolean
  tokenTtlSeconds: number | null
  dataTtlDays: number | null
  /** `#rrggbb` shown on the hosted page; null: Loom's own. */
  brandColor: string | null
  /** The tenant's privacy notice (https), linked from the hosted page; null: none. */
  privacyNoticeUrl: string | null
  /** Legal name of the data controller the hosted page names; null: the tenant's name. */
  controllerName: string | null
  /** How to reach the controller (https or mailto:); null: no link. */
  controllerContactUrl: string | null
  /** SHA-256 (hex) of the tenant's logo PNG; null: no logo. */
  logoHash: string | null
  /** The workflow of sessions created without one (the sessions API); null: built-in defaults. */
  defaultWorkflowId: string | null
  /** Whether the tenant may record its own outcomes (/verify/submit: tenant-attested tokens). */
  submitAllowed: boolean
  createdAt: string
  updatedAt: string
}

/** The privacy notice must be a web page the person can open safely: https only. */
export const PRIVACY_NOTICE_URL_PATTERN = '^https://[^\\s/?#]+[^\\s]*$'
/** The controller is reached on a web page (https) or by email (mailto:). */
export const CONTROLLER_CONTACT_URL_PATTERN = '^(https://[^\\s/?#]+|mailto:[^\\s?]+)[^\\s]*$'
export const MAX_URL_LENGTH = 2048
export const MAX_CONTROLLER_NAME_LENGTH = 200

/** Whether `url` may be a tenant's privacy notice (or, with `contact`, its controller's contact). */
export function isTenantLink(url: string, kind: 'privacyNotice' | 'controllerContact'): boolean {
  const pattern =
    kind === 'privacyNotice' ? PRIVACY_NOTICE_URL_PATTERN : CONTROLLER_CONTACT_URL_PATTERN
  return url.length <= MAX_URL_LENGTH && new RegExp(pattern).test(url) && URL.canParse(url)
}

/** Where the hosted page loads a tenant's logo from; the hash in the name lets it cache for good. */
export function logoPathOf(tenant: Pick<Tenant, 'id' | 'logoHash'>): string | null {
  return tenant.logoHash === null ? null : `/brand/${tenant.id}/logo-${tenant.logoHash}.png`
}

/** The limits in force for a tenant: its overrides, else its plan's. */
export function effectiveLimits(tenant: Tenant): {
  rateLimitPerMinute: number
  monthlyQuota: number
  hardLimit: number | null
  allowOverage: boolean
} {
  const plan = PLAN_LIMITS[tenant.plan]
  return {
    rateLimitPerMinute: tenant.rateLimitPerMinute ?? plan.rateLimitPerMinute,
    monthlyQuota: tenant.monthlyQuota ?? plan.monthlyQuota,
    hardLimit: tenant.hardLimit,
    allowOverage: tenant.allowOverage,
  }
}

export type KeyMode = 'live' | 'test'

/**
 * Who acts on a tenant's verifications: the tenant, in the mode of the key it presented. Test and
 * live are separate worlds: a test key sees, changes and deletes only test verifications, a live
 * key only live ones; the other world's ids are unknown to it (404), as another tenant's are.
 */
export interface Caller {
  tenant: Tenant
  mode: KeyMode
}

export interface ApiKey {
  id: string
  tenantId: string
  mode: KeyMode
  prefix: string
  name: string | null
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

const KEY_PATTERN = /^loom_(live|test)_[A-Za-z0-9_-]{43}$/

/** A new API key: 32 random bytes (base64url) behind `loom_live_` or `loom_test_`. */
export function generateApiKey(mode: KeyMode): { key: string; hash: string; prefix: string } {
  const key = `loom_${mode}_${randomBytes(32).toString('base64url')}`
  return { key, hash: hashApiKey(key), prefix: key.slice(0, 14) }
}

/**
 * Keys carry 256 random bits, so a fast hash is enough (no salt or stretching needed: there is
 * nothing to brute-force), and it lets authentication look the key up by its hash.
 */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex')
}

/** Whether a presented string has the shape of a Loom API key (checked before any lookup). */
export function looksLikeApiKey(value: string): boolean {
  return KEY_PATTERN.test(value)
}

/**
 * The most units a tenant may use in a month and the error once it is reached: the quota
 * (QUOTA_EXCEEDED), or with overage allowed the hard limit (HARD_LIMIT_EXCEEDED; none = no cap).
 */
export function monthlyCap(tenant: Tenant): {
  cap: number | null
  code: 'QUOTA_EXCEEDED' | 'HARD_LIMIT_EXCEEDED'
} {
  const limits = effectiveLimits(tenant)
  if (!limits.allowOverage) return { cap: limits.monthlyQuota, code: 'QUOTA_EXCEEDED' }
  return { cap: limits.hardLimit, code: 'HARD_LIMIT_EXCEEDED' }
}
