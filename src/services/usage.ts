// Usage for billing: billable units (live verifications started) per tenant, month and day,
// against each tenant's quota.
import type { Deps } from '../deps.ts'
import { DomainError } from '../domain/errors.ts'
import type { Tenant } from '../domain/tenants.ts'
import { effectiveLimits } from '../domain/tenants.ts'
import { listTenants } from '../store/tenants.ts'
import { allTenantsMonth, dayUnits, monthUnits } from '../store/usage.ts'

/** A tenant's usage in one month. */
export interface TenantUsage {
  month: string
  used: number
  quota: number
  remaining: number
  overage: number
  allowOverage: boolean
  hardLimit: number | null
  days: { date: string; units: number }[]
}

/** One tenant's line of the operator's usage report. */
export interface UsageReportRow {
  tenantId: string
  name: string
  plan: string
  month: string
  units: number
  quota: number
  overage: number
}

/** The UTC month (YYYY-MM) of a time. */
export function currentMonth(now: Date): string {
  return now.toISOString().slice(0, 7)
}

/** A tenant's usage in a month. */
export async function usageFor(deps: Deps, tenant: Tenant, month: string): Promise<TenantUsage> {
  const [used, days] = await Promise.all([
    monthUnits(deps.store.db, tenant.id, month),
    dayUnits(deps.store.db, tenant.id, month),
  ])
  const limits = effectiveLimits(tenant)
  return {
    month,
    used,
    quota: limits.monthlyQuota,
    remaining: Math.max(0, limits.monthlyQuota - used),
    overage: Math.max(0, used - limits.monthlyQuota),
    allowOverage: limits.allowOverage,
    hardLimit: limits.hardLimit,
    days: days.map((d) => ({ date: d.day, units: d.units })),
  }
}

/** Every tenant's billable units in a month, oldest tenant first. */
export async function usageReport(deps: Deps, month: string): Promise<UsageReportRow[]> {
  const tenantsById = new Map((await listTenants(deps.store.db)).map((t) => [t.id, t]))
  return (await allTenantsMonth(deps.store.db, month)).map((r) => {
    const tenant = tenantsById.get(r.tenantId)
    if (!tenant) throw new DomainError('INTERNAL_ERROR', 'tenant vanished while reading usage')
    const quota = effectiveLimits(tenant).monthlyQuota
    return { ...r, month, quota, overage: Math.max(0, r.units - quota) }
  })
}
