// `loom tenant`, `loom key`, `loom admin-key` and `loom keys`: tenants, their API keys, the admin
// key and the age token signing keys, straight in the database.
import { openConfiguredStore, resetAdminKey } from '../deps.ts'
import { migrateToLatest } from '../store/migrations.ts'
import { PLANS, DEFAULT_PLAN, effectiveLimits } from '../domain/tenants.ts'
import type { Plan } from '../domain/tenants.ts'
import { isId } from '../domain/ids.ts'
import {
  createApiKey,
  createTenant,
  getApiKeyById,
  getTenant,
  listApiKeys,
  listTenants,
  revokeApiKey,
} from '../store/tenants.ts'
import { Sealer, loadEncryptionKey } from '../store/sealer.ts'
import { ensureSigningKey, rotateSigningKey } from '../store/signing-keys.ts'
import { DEFAULT_TOKEN_TTL_SECONDS } from '../domain/age-tokens.ts'
import { UsageError, err, out, parse } from './command.ts'
import type { Command } from './command.ts'

function parsePlan(value: string | undefined): Plan {
  if (value === undefined) return DEFAULT_PLAN
  if (!(PLANS as readonly string[]).includes(value)) {
    throw new UsageError(`--plan must be one of ${PLANS.join(', ')}`)
  }
  return value as Plan
}

export const tenant: Command = async (argv, config) => {
  const [sub, ...rest] = argv
  if (sub === 'create') {
    const { values } = parse(rest, {
      name: { type: 'string' },
      plan: { type: 'string' },
      'test-key': { type: 'boolean' },
    })
    if (values.help) {
      out(`Usage: loom tenant create --name NAME [--plan ${PLANS.join('|')}] [--test-key]

Creates a tenant and prints its live API key once (and a test key with --test-key).`)
      return 0
    }
    const name = values.name?.trim()
    if (!name) throw new UsageError('--name is required')
    const plan = parsePlan(values.plan)
    const store = openConfiguredStore(config())
    try {
      await migrateToLatest(store.db, store.schema)
      const now = new Date()
      const created = await createTenant(store.db, { name, plan }, now)
      out(`Tenant  ${created.tenant.id}  (${created.tenant.name}, plan ${plan})`)
      out(`Live API key (shown once): ${created.key}`)
      if (values['test-key']) {
        const test = await createApiKey(store.db, created.tenant.id, 'test', null, now)
        out(`Test API key (shown once): ${test.key}`)
      }
      return 0
    } finally {
      await store.close()
    }
  }
  if (sub === 'list') {
    const { values } = parse(rest, { json: { type: 'boolean' } })
    if (values.help) {
      out('Usage: loom tenant list [--json]\n\nLists tenants with plan, state and limits.')
      return 0
    }
    const store = openConfiguredStore(config())
    try {
      await migrateToLatest(store.db, store.schema)
      const tenants = await listTenants(store.db)
      if (values.json) {
        out(JSON.stringify(tenants))
        return 0
      }
      if (tenants.length === 0) out('No tenants yet: loom tenant create --name NAME')
      for (const t of tenants) {
        const limits = effectiveLimits(t)
        out(
          `${t.id}  ${t.isActive ? 'active  ' : 'inactive'}  ${t.plan.padEnd(12)} ${String(limits.rateLimitPerMinute).padStart(6)}/min  ${JSON.stringify(t.name)}`,
        )
      }
      return 0
    } finally {
      await store.close()
    }
  }
  out('Usage: loom tenant create --name NAME [--plan P] | loom tenant list')
  return sub === undefined || sub === '--help' || sub === '-h' ? 0 : 1
}

export const key: Command = async (argv, config) => {
  const [sub, ...rest] = argv
  if (sub === 'create') {
    const { values } = parse(rest, {
      tenant: { type: 'string' },
      mode: { type: 'string' },
      name: { type: 'string' },
    })
    if (values.help) {
      out(`Usage: loom key create --tenant TENANT_ID [--mode live|test] [--name LABEL]

Adds an API key to a tenant and prints it once. A tenant can hold several live keys, so keys
rotate without downtime: create the new one, deploy it, then revoke the old one.`)
      return 0
    }
    const tenantId = values.tenant ?? ''
    const mode = values.mode ?? 'live'
    if (mode !== 'live' && mode !== 'test') throw new UsageError('--mode must be live or test')
    const store = openConfiguredStore(config())
    try {
      await migrateToLatest(store.db, store.schema)
      const found = isId('ten', tenantId) ? await getTenant(store.db, tenantId) : null
      if (found === null) throw new UsageError(`--tenant: no tenant ${JSON.stringify(tenantId)}`)
      const created = await createApiKey(store.db, found.id, mode, values.name ?? null, new Date())
      out(`Key ${created.apiKey.id} (${mode}) for ${found.id}, shown once:`)
      out(created.key)
      return 0
    } finally {
      await store.close()
    }
  }
  if (sub === 'revoke') {
    const { values, positionals } = parse(rest, {}, true)
    if (values.help || positionals.length !== 1) {
      out(
        'Usage: loom key revoke KEY_ID\n\nRevokes an API key (ids look like key_…; see GET /admin/tenants/:id/keys).',
      )
      return values.help ? 0 : 1
    }
    const keyId = positionals[0] ?? ''
    const store = openConfiguredStore(config())
    try {
      await migrateToLatest(store.db, store.schema)
      const found = isId('key', keyId) ? await getApiKeyById(store.db, keyId) : null
      if (found === null) throw new UsageError(`no API key ${JSON.stringify(keyId)}`)
      const revoked = await revokeApiKey(store.db, found.tenantId, keyId, new Date())
      const remaining = (await listApiKeys(store.db, found.tenantId)).filter(
        (k) => k.revokedAt === null,
      )
      out(
        `Revoked ${keyId} at ${revoked?.revokedAt ?? '?'}; tenant ${found.tenantId} has ${remaining.length} active key(s).`,
      )
      return 0
    } finally {
      await store.close()
    }
  }
  out('Usage: loom key create --tenant TENANT_ID [--mode live|test] | loom key revoke KEY_ID')
  return sub === undefined || sub === '--help' || sub === '-h' ? 0 : 1
}

export const adminKey: Command = async (argv, config) => {
  const [sub, ...rest] = argv
  const { values } = parse(rest, {})
  if (sub !== 'reset' || values.help) {
    out(
      'Usage: loom admin-key reset\n\nReplaces the stored admin key and prints the new one once.\nIgnored while LOOM_ADMIN_KEY is set (that one wins).',
    )
    return sub === 'reset' || sub === undefined || sub === '--help' ? 0 : 1
  }
  const cfg = config()
  if (cfg.adminKey !== null) {
    err('LOOM_ADMIN_KEY is set; it is the admin key. Change it in the environment instead.')
    return 1
  }
  const store = openConfiguredStore(cfg)
  try {
    await migrateToLatest(store.db, store.schema)
    out(`New admin key (shown once): ${await resetAdminKey(store)}`)
    out('Running servers pick it up when restarted.')
    return 0
  } finally {
    await store.close()
  }
}

export const keys: Command = async (argv, config) => {
  const [sub, ...rest] = argv
  const { values } = parse(rest, {})
  if (sub !== 'rotate' || values.help) {
    out(`Usage: loom keys rotate

Adds a new token signing key (ES256) and makes it the one that signs. The previous key stops
signing but stays published at /.well-known/jwks.json until every token it signed has expired.
Running servers pick the new key up within a minute.`)
    return sub === 'rotate' || sub === undefined || sub === '--help' ? 0 : 1
  }
  const cfg = config()
  const store = openConfiguredStore(cfg)
  try {
    await migrateToLatest(store.db, store.schema)
    const sealer = new Sealer(loadEncryptionKey(cfg.encryptionKey, cfg.dataDir))
    const now = new Date()
    await ensureSigningKey(store.db, sealer, now)
    const tenants = await listTenants(store.db)
    const longest = Math.max(
      DEFAULT_TOKEN_TTL_SECONDS,
      ...tenants.map((t) => t.tokenTtlSeconds ?? 0),
    )
    const { kid, retiredKid } = await rotateSigningKey(store.db, sealer, now, longest)
    out(`Signing key ${kid} is now active.`)
    if (retiredKid)
      out(`Key ${retiredKid} stays published for ${longest} s (until its tokens expire).`)
    return 0
  } finally {
    await store.close()
  }
}
