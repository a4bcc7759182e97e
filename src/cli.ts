// `loom`: the only entry point. Each command parses its own flags and has --help.
import path from 'node:path'
import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'
import { ConfigError, loadClientConfig, loadConfig } from './config.ts'
import type { Config } from './config.ts'
import { buildDeps, checkEngine, createLogger, openConfiguredStore, resetAdminKey } from './deps.ts'
import { buildApp } from './api/app.ts'
import { migrateToLatest } from './store/migrations.ts'
import { PLANS, DEFAULT_PLAN, effectiveLimits } from './domain/tenants.ts'
import type { Plan } from './domain/tenants.ts'
import { isId } from './domain/ids.ts'
import {
  createApiKey,
  createTenant,
  getApiKeyById,
  getTenant,
  listApiKeys,
  listTenants,
  revokeApiKey,
} from './store/tenants.ts'
import { startWorker } from './jobs/worker.ts'
import { Sealer, loadEncryptionKey } from './store/sealer.ts'
import { ensureSigningKey, rotateSigningKey } from './store/signing-keys.ts'
import { DEFAULT_TOKEN_TTL_SECONDS } from './domain/age-tokens.ts'

class UsageError extends Error {}

const out = (line: string): void => void process.stdout.write(`${line}\n`)
const err = (line: string): void => void process.stderr.write(`${line}\n`)

const HELP = `loom — self-hostable age and identity verification

Usage: loom <command> [options]

Commands:
  serve                 Run the HTTP API and the background worker (npm start)
  worker                Run only the background worker (scale-out)
  migrate               Bring the database schema up to date
  tenant create|list    Manage tenants
  key create|revoke     Manage tenants' API keys
  admin-key reset       Replace the admin key (prints the new one once)
  keys rotate           Add a new token signing key; old ones stay published until expiry
  inspect FILE…         Read documents without a server (JSON lines)
  face-compare A B      Compare the portrait on document A with selfie B (JSON)
  estimate-age SELFIE   Estimate age from a selfie; approve or ask for a document (JSON)
  specimen [--out DIR]  Write sample documents (passport, ID card, licence, minor, expired…)
  listen --forward URL  Forward a tenant's events to a local URL (no public URL needed)

Every command takes --help. Configuration comes from the environment (see README).`

type Command = (argv: string[], config: () => Config) => Promise<number>

function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    })
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e))
  }
}

const serve: Command = async (argv, config) => {
  const { values } = parse(argv, { 'no-worker': { type: 'boolean' } })
  if (values.help) {
    out(`Usage: loom serve [--no-worker]

Runs the API on HOST:PORT (default 0.0.0.0:8080) and, unless --no-worker or
LOOM_SERVE_WORKER=false, the background worker in the same process. Migrations run first.
On the first start without LOOM_ADMIN_KEY, an admin key is generated and printed once.`)
    return 0
  }
  const cfg = config()
  const { deps, generatedAdminKey } = await buildDeps(cfg)
  logUnhandledRejections(deps)
  const app = await buildApp(deps)
  const worker = cfg.serveRunsWorker && !values['no-worker'] ? startWorker(deps) : null
  const address = await app.listen({ port: cfg.port, host: cfg.host })
  deps.logger.info({ address, database: deps.store.dialect }, 'Loom is serving')
  void checkEngine(deps)
  if (cfg.acceptSpecimens) {
    deps.logger.warn(
      'LOOM_ACCEPT_SPECIMENS is on: live verifications take specimen documents as real (staging only)',
    )
  }
  if (generatedAdminKey !== null) {
    out(
      [
        '',
        '================================================================',
        ' Loom generated an admin key for this instance. It is shown ONCE:',
        `   ${generatedAdminKey}`,
        ' Send it as the x-admin-key header. Lost it? `loom admin-key reset`.',
        '================================================================',
        '',
      ].join('\n'),
    )
  }
  await untilStopSignal()
  return shutDown(deps, cfg.shutdownGraceMs, async () => {
    await app.close()
    await worker?.stop()
  })
}

/**
 * A promise rejected with no one to hear it is a bug, and logged as one; it does not end a
 * server that is otherwise serving (Node's default), so one missed path during a database
 * outage cannot take every request down with it.
 */
function logUnhandledRejections(deps: Awaited<ReturnType<typeof buildDeps>>['deps']): void {
  process.on('unhandledRejection', (err) => {
    deps.logger.error({ err }, 'unhandled promise rejection (a bug)')
  })
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
}

/**
 * Stops gracefully — in-flight requests answered, jobs in hand finished — but within the grace
 * whatever any request, job or engine thread is doing: past it (or on a second signal) the
 * process exits anyway. Jobs it held are taken over by another worker when their lease ends.
 */
async function shutDown(
  deps: Awaited<ReturnType<typeof buildDeps>>['deps'],
  graceMs: number,
  stop: () => Promise<void>,
): Promise<number> {
  deps.logger.info({ graceMs }, 'shutting down')
  const force = (why: string): void => {
    deps.logger.warn(why)
    process.exit(1)
  }
  const timer = setTimeout(
    () => force('shutdown grace passed with work still in hand; exiting now'),
    graceMs,
  )
  timer.unref()
  const again = (): void => force('second stop signal; exiting now')
  process.once('SIGINT', again)
  process.once('SIGTERM', again)
  await stop()
  await deps.close()
  clearTimeout(timer)
  return 0
}

const worker: Command = async (argv, config) => {
  const { values } = parse(argv, {})
  if (values.help) {
    out(
      'Usage: loom worker\n\nRuns only the background worker (jobs, webhooks, expiry, retention).',
    )
    return 0
  }
  const cfg = config()
  const { deps } = await buildDeps(cfg)
  logUnhandledRejections(deps)
  const running = startWorker(deps)
  void checkEngine(deps)
  deps.logger.info('Loom worker running')
  await untilStopSignal()
  return shutDown(deps, cfg.shutdownGraceMs, () => running.stop())
}

const migrate: Command = async (argv, config) => {
  const { values } = parse(argv, {})
  if (values.help) {
    out('Usage: loom migrate\n\nApplies every pending migration to the configured database.')
    return 0
  }
  const store = openConfiguredStore(config())
  try {
    const applied = await migrateToLatest(store.db, store.schema)
    out(applied.length === 0 ? 'Database is up to date.' : `Applied: ${applied.join(', ')}`)
    return 0
  } finally {
    await store.close()
  }
}

function parsePlan(value: string | undefined): Plan {
  if (value === undefined) return DEFAULT_PLAN
  if (!(PLANS as readonly string[]).includes(value)) {
    throw new UsageError(`--plan must be one of ${PLANS.join(', ')}`)
  }
  return value as Plan
}

const tenant: Command = async (argv, config) => {
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

const key: Command = async (argv, config) => {
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

const adminKey: Command = async (argv, config) => {
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

const keys: Command = async (argv, config) => {
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

const inspect: Command = async (argv) => {
  const { runInspect } = await import('./engine/inspect-cli.ts')
  return runInspect(argv, out)
}

const faceCompare: Command = async (argv) => {
  const { runFaceCompare } = await import('./engine/face/cli.ts')
  return runFaceCompare(argv, out)
}

const estimateAge: Command = async (argv) => {
  const { runEstimateAge } = await import('./engine/face/cli.ts')
  return runEstimateAge(argv, out)
}

function isIsoDay(day: string): boolean {
  const parsed = new Date(`${day}T00:00:00Z`)
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === day
}

const specimen: Command = async (argv) => {
  const { SAMPLE_KINDS, writeSamples } = await import('./specimen/samples.ts')
  const { values } = parse(argv, {
    out: { type: 'string' },
    kind: { type: 'string', multiple: true },
    'as-of': { type: 'string' },
  })
  if (values.help) {
    out(`Usage: loom specimen [--out DIR] [--kind KIND]… [--as-of YYYY-MM-DD]

Writes sample documents into DIR (default ./specimens) with manifest.json saying what each
should get. Kinds: ${SAMPLE_KINDS.join(', ')} (all by default).
  passport    a passport data page (MRZ), adult, valid: approved
  id-card     an ID card, front and back (MRZ on the back): approved
  licence     a US driver's licence, front and back (PDF417 on the back): approved
  minor       a passport of someone under 18: rejected (underage)
  expired     an expired passport: rejected (document_expired)
  unreadable  a blurred, small photo of a passport: nothing to read
Use them with a test key (live mode refuses documents it knows for specimens unless
LOOM_ACCEPT_SPECIMENS=true, for staging). The licence barcode needs bwip-js, a development
dependency; an install without it (npm ci --omit=dev) writes every other kind.`)
    return 0
  }
  const asOf = values['as-of'] ?? new Date().toISOString().slice(0, 10)
  // Round-trip through Date: Date.parse takes 2026-02-30 as 2 March.
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || !isIsoDay(asOf)) {
    throw new UsageError('--as-of must be a date YYYY-MM-DD')
  }
  const asked = values.kind?.flatMap((k) => k.split(',')).map((k) => k.trim())
  for (const k of asked ?? []) {
    if (!(SAMPLE_KINDS as readonly string[]).includes(k)) {
      throw new UsageError(`--kind ${k}: not one of ${SAMPLE_KINDS.join(', ')}`)
    }
  }
  const kinds = (asked ?? SAMPLE_KINDS) as (typeof SAMPLE_KINDS)[number][]
  const dir = values.out ?? 'specimens'
  const written = await writeSamples(dir, kinds, asOf, (kind, e) => {
    if (asked !== undefined) throw new UsageError(`${kind}: ${e.message}`)
    err(`skipped ${kind}: ${e.message}`)
  }).catch((e: unknown) => {
    // A folder that cannot be written (a file there, no permission) is the caller's to fix.
    if (e instanceof Error && 'syscall' in e && 'code' in e) {
      throw new UsageError(`--out ${dir}: cannot write there (${String(e.code)})`)
    }
    throw e
  })
  for (const doc of written) {
    const who = doc.holder
      ? `${doc.holder.firstName} ${doc.holder.lastName}, born ${doc.holder.dateOfBirth}`
      : ''
    out(
      `${path.join(dir, doc.file).padEnd(34)} ${doc.documentType} ${doc.side}: ${doc.expect}${who ? `  (${who})` : ''}`,
    )
  }
  out(`${path.join(dir, 'manifest.json')}: what each document is and should get`)
  return 0
}

const listenCommand: Command = async (argv) => {
  const { values } = parse(argv, {
    forward: { type: 'string' },
    url: { type: 'string' },
    'api-key': { type: 'string' },
    events: { type: 'string' },
    secret: { type: 'string' },
    since: { type: 'string' },
  })
  if (values.help) {
    out(`Usage: loom listen --forward URL [--url LOOM_URL] [--api-key KEY] [--events T1,T2]
                   [--secret whsec_…] [--since ISO-TIME]

Streams the tenant's events (those of the key's mode: a test key sees test verifications) to a
local URL, signed like webhook deliveries (Standard Webhooks headers), so a receiver on your
machine gets them with no public URL. Loom is reached at --url or LOOM_URL (default
http://localhost:PORT); the key comes from --api-key or LOOM_API_KEY. Events are signed with the
tenant's webhook secret (GET /webhooks/secret), or --secret. Each event is sent once; the answer
is printed. From now on, or from --since. Ctrl-C stops.`)
    return 0
  }
  const client = loadClientConfig()
  const forwardTo = values.forward
  if (forwardTo === undefined) throw new UsageError('--forward URL is required')
  if (!URL.canParse(forwardTo) || !/^https?:$/.test(new URL(forwardTo).protocol)) {
    throw new UsageError('--forward must be an http(s) URL')
  }
  const apiKey = values['api-key'] ?? client.apiKey
  if (apiKey === null) throw new UsageError('a tenant API key is needed: --api-key or LOOM_API_KEY')
  if (values.since !== undefined && Number.isNaN(Date.parse(values.since))) {
    throw new UsageError('--since must be an ISO-8601 time')
  }
  const { listen, ListenError } = await import('./listen.ts')
  const stop = new AbortController()
  process.once('SIGINT', () => stop.abort())
  process.once('SIGTERM', () => stop.abort())
  try {
    await listen({
      loomUrl: (values.url ?? client.url).replace(/\/+$/, ''),
      apiKey,
      forwardTo,
      events:
        values.events
          ?.split(',')
          .map((e) => e.trim())
          .filter(Boolean) ?? [],
      secret: values.secret ?? null,
      since: values.since === undefined ? null : new Date(values.since).toISOString(),
      signal: stop.signal,
      out,
    })
  } catch (e) {
    if (e instanceof ListenError) {
      err(`loom listen: ${e.message}`)
      return 1
    }
    throw e
  }
  return 0
}

const COMMANDS: Record<string, Command> = {
  serve,
  worker,
  migrate,
  tenant,
  key,
  'admin-key': adminKey,
  keys,
  inspect,
  'face-compare': faceCompare,
  'estimate-age': estimateAge,
  specimen,
  listen: listenCommand,
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(HELP)
    return name === undefined ? 1 : 0
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    err(`loom: unknown command "${name}"\n`)
    err(HELP)
    return 1
  }
  let cached: Config | null = null
  const config = (): Config => (cached ??= loadConfig())
  try {
    return await command(rest, config)
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      err(`loom ${name}: ${e.message}`)
      return 1
    }
    createLogger({ logLevel: 'error' }).error({ err: e }, `loom ${name} failed`)
    return 1
  }
}

process.exitCode = await main(process.argv.slice(2))
