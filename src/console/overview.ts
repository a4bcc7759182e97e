// What the console's developer, usage and operator pages show: read-only views over the
// tenant's keys, webhook endpoints and deliveries, workflows and usage (no personal data).
import type { Deps } from '../deps.ts'
import type { ApiKey, Tenant } from '../domain/tenants.ts'
import type { Workflow } from '../domain/workflows.ts'
import { effectiveLimits } from '../domain/tenants.ts'
import { listApiKeys, listTenants } from '../store/tenants.ts'
import { listDeliveries, listEndpoints } from '../store/webhooks.ts'
import type { WebhookDelivery, WebhookEndpoint } from '../store/webhooks.ts'
import { listWorkflows } from '../store/workflows.ts'
import { allTenantsMonth, monthUnits } from '../store/usage.ts'

const DELIVERIES_SHOWN = 50

/** `YYYY-MM` of a time (usage is counted per UTC month). */
function monthOf(now: Date): string {
  return now.toISOString().slice(0, 7)
}

export interface TenantOverview {
  monthUnits: number
  monthlyQuota: number | null
  keys: ApiKey[]
  endpoints: WebhookEndpoint[]
  deliveries: WebhookDelivery[]
  workflows: Workflow[]
}

export async function tenantOverview(deps: Deps, tenant: Tenant): Promise<TenantOverview> {
  const db = deps.store.db
  const [units, keys, endpoints, live, test, workflows] = await Promise.all([
    monthUnits(db, tenant.id, monthOf(deps.clock.now())),
    listApiKeys(db, tenant.id),
    listEndpoints(db, tenant.id),
    listDeliveries(db, tenant.id, 'live', { limit: DELIVERIES_SHOWN }),
    listDeliveries(db, tenant.id, 'test', { limit: DELIVERIES_SHOWN }),
    listWorkflows(db, tenant.id),
  ])
  const deliveries = [...live, ...test]
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .slice(0, DELIVERIES_SHOWN)
  return {
    monthUnits: units,
    monthlyQuota: effectiveLimits(tenant).monthlyQuota,
    keys,
    endpoints,
    deliveries,
    workflows,
  }
}

export interface TenantLine {
  id: string
  name: string
  plan: string
  isActive: boolean
  monthUnits: number
  monthlyQuota: number | null
}

/** Every tenant with this month's units, for the operator. */
export async function consoleTenants(deps: Deps): Promise<TenantLine[]> {
  const [tenants, usage] = await Promise.all([
    listTenants(deps.store.db),
    allTenantsMonth(deps.store.db, monthOf(deps.clock.now())),
  ])
  const units = new Map(usage.map((u) => [u.tenantId, u.units]))
  return tenants.map((x) => ({
    id: x.id,
    name: x.name,
    plan: x.plan,
    isActive: x.isActive,
    monthUnits: units.get(x.id) ?? 0,
    monthlyQuota: effectiveLimits(x).monthlyQuota,
  }))
}
