// Wires Loom's parts from a Config into one plain object. No singletons: two apps can live in
// one process (the tests do that).
import path from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import { openStore } from './store/db.ts'
import type { Store } from './store/db.ts'
import { migrateToLatest } from './store/migrations.ts'
import { getSetting, putSetting, setSettingIfAbsent } from './store/settings.ts'
import { Sealer, loadEncryptionKey } from './store/sealer.ts'
import { TokenService } from './services/age-tokens.ts'
import { Limits } from './limits.ts'
import { openBlobStore } from './store/blobs.ts'
import type { BlobStore } from './store/blobs.ts'
import { createEnginePool } from './engine/pool.ts'
import type { EnginePool } from './engine/pool.ts'
import { Metrics } from './metrics.ts'
import { oldestDueByType } from './store/jobs.ts'
import { DELIVER_JOB } from './jobs/job-types.ts'

export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

export interface Deps {
  config: Config
  store: Store
  logger: Logger
  clock: Clock
  /** SHA-256 of the admin key; requests are compared against it in constant time. */
  adminKeyHash: Buffer
  /** Shared Redis when REDIS_URL is set (rate limits, revocation fan-out), else null. */
  redis: Redis | null
  redisStatus(): 'connected' | 'disconnected' | 'not_configured'
  /** Encrypts personal data and private keys at rest. */
  sealer: Sealer
  tokens: TokenService
  limits: Limits
  /** Encrypted image bytes (files, or a table on PostgreSQL). */
  blobs: BlobStore
  /** Worker threads that read documents. */
  engine: EnginePool
  /** Prometheus metrics of this process (GET /metrics). */
  metrics: Metrics
  /**
   * What the engine's self-check found (`loom serve` and `loom worker` run it at start): a
   * thread that cannot build the readers' templates reads no document, and /health says so.
   */
  engineHealth: { status: 'unchecked' | 'ready' | 'failed'; message: string | null }
  startedAt: Date
  close(): Promise<void>
}

export interface BuildOptions {
  clock?: Clock
  logger?: Logger
  /** Run migrations before returning (serve and worker do; `loom migrate` does it itself). */
  migrate?: boolean
}

export interface BuiltDeps {
  deps: Deps
  /** Set when this start generated the admin key: the caller prints it once. */
  generatedAdminKey: string | null
}

const ADMIN_KEY_SETTING = 'admin_key_sha256'

/** Creates the logger: JSON lines, secrets in headers redacted, never request bodies. */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'loom' },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-tenant-api-key"]',
        'req.headers["x-admin-key"]',
        'req.headers["x-api-key"]',
        'req.headers.cookie',
      ],
      censor: '[redacted]',
    },
  })
}

/** Opens the store for a config (SQLite under the data dir unless DATABASE_URL is set). */
export function openConfiguredStore(config: Config): Store {
  return openStore({
    databaseUrl: config.databaseUrl,
    sqliteFile: path.join(config.dataDir, 'loom.sqlite'),
    ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
  })
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** Builds every dependency of the server and worker from the configuration. */
export async function buildDeps(config: Config, options: BuildOptions = {}): Promise<BuiltDeps> {
  const logger = options.logger ?? createLogger(config)
  const store = openConfiguredStore(config)
  try {
    await untilDatabaseAnswers(store, logger, config.databaseWaitMs)
    if (options.migrate !== false) await migrateToLatest(store.db, store.schema)
    const { hash, generated } = await resolveAdminKey(config, store)
    const redis = config.redisUrl ? connectRedis(config.redisUrl, logger) : null
    const sealer = new Sealer(loadEncryptionKey(config.encryptionKey, config.dataDir))
    const clock = options.clock ?? systemClock
    const tokens = await TokenService.start({
      db: store.db,
      sealer,
      logger,
      clock,
      issuer: config.publicUrl,
      redis,
      redisChannel: `${config.redisKeyPrefix}revocations`,
    })
    let metrics: Metrics | null = null
    const engine = createEnginePool(config.engineThreads, (kind, outcome, seconds) =>
      metrics?.engineTasks.observe({ kind, outcome }, seconds),
    )
    metrics = new Metrics({
      engineQueue: () => engine.queueSize(),
      databasePool: () => store.poolStats(),
      jobLag: async () => {
        const now = clock.now()
        const lanes = new Map<string, number>()
        for (const { type, oldestDue } of await oldestDueByType(store.db, now)) {
          const lane = type === DELIVER_JOB ? 'deliveries' : 'decisions'
          const seconds = Math.max(0, (now.getTime() - Date.parse(oldestDue)) / 1000)
          lanes.set(lane, Math.max(lanes.get(lane) ?? 0, seconds))
        }
        return [...lanes].map(([lane, seconds]) => ({ lane, seconds }))
      },
    })
    const deps: Deps = {
      config,
      store,
      logger,
      clock,
      adminKeyHash: hash,
      redis,
      redisStatus: () =>
        redis === null ? 'not_configured' : redis.status === 'ready' ? 'connected' : 'disconnected',
      sealer,
      tokens,
      limits: new Limits(redis, config.redisKeyPrefix, config.authMaxFailures),
      blobs: openBlobStore(store.dialect, store.db, path.join(config.dataDir, 'blobs'), sealer),
      engine,
      metrics,
      engineHealth: { status: 'unchecked', message: null },
      startedAt: new Date(),
      close: async () => {
        await engine.close()
        await tokens.stop()
        redis?.disconnect()
        await store.close()
      },
    }
    return { deps, generatedAdminKey: generated }
  } catch (err) {
    await store.close()
    throw err
  }
}

/** Runs the engine's self-check and records it in `deps.engineHealth`; an error is logged loudly. */
export async function checkEngine(deps: Deps, budgetMs = 60_000): Promise<void> {
  const checked = await deps.engine.selfCheck(budgetMs)
  deps.engineHealth.status = checked.ok ? 'ready' : 'failed'
  deps.engineHealth.message = checked.ok ? null : checked.message
  if (!checked.ok) {
    deps.logger.error({ reason: checked.message }, 'the document engine cannot read documents')
  }
}

/**
 * Waits for the database at start: processes start in any order (a worker before its database,
 * a server during a failover), so an unreachable database is retried with back-off up to
 * `waitMs`, saying so, before the start fails with a clear error.
 */
async function untilDatabaseAnswers(store: Store, logger: Logger, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs
  let delay = 100
  let warned = false
  while (!(await store.ping())) {
    if (Date.now() + delay > deadline) {
      throw new Error(
        `The ${store.dialect === 'postgres' ? 'PostgreSQL' : 'SQLite'} database did not answer within ${Math.round(waitMs / 1000)} s (LOOM_DATABASE_WAIT_SECONDS)`,
      )
    }
    if (!warned) logger.warn('waiting for the database to answer')
    warned = true
    await new Promise((resolve) => setTimeout(resolve, delay))
    delay = Math.min(delay * 2, 2000)
  }
  if (warned) logger.info('the database answers')
}

/** Connects to Redis; keeps retrying in the background and never queues commands while down. */
function connectRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    // Commands issued in the same tick (many requests' rate-limit checks) share one round trip.
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(attempt * 250, 2000),
  })
  let down = false
  redis.on('error', (err: Error) => {
    if (!down) logger.warn({ err: err.message }, 'Redis unavailable; continuing without it')
    down = true
  })
  redis.on('ready', () => {
    if (down) logger.info('Redis is back')
    down = false
  })
  return redis
}

/**
 * LOOM_ADMIN_KEY wins when set. Otherwise the instance keeps the hash of a key generated on its
 * first start (printed once); when several processes start at once, one insert wins.
 */
async function resolveAdminKey(
  config: Config,
  store: Store,
): Promise<{ hash: Buffer; generated: string | null }> {
  if (config.adminKey !== null) return { hash: sha256(config.adminKey), generated: null }
  const existing = await getSetting(store.db, ADMIN_KEY_SETTING)
  if (existing !== null) return { hash: Buffer.from(existing, 'hex'), generated: null }
  const key = `loom_admin_${randomBytes(32).toString('base64url')}`
  const won = await setSettingIfAbsent(store.db, ADMIN_KEY_SETTING, sha256(key).toString('hex'))
  if (won) return { hash: sha256(key), generated: key }
  const stored = await getSetting(store.db, ADMIN_KEY_SETTING)
  return { hash: Buffer.from(stored ?? '', 'hex'), generated: null }
}

/** Replaces the stored admin key with a new one and returns it (for `loom admin-key reset`). */
export async function resetAdminKey(store: Store): Promise<string> {
  const key = `loom_admin_${randomBytes(32).toString('base64url')}`
  await putSetting(store.db, ADMIN_KEY_SETTING, sha256(key).toString('hex'))
  return key
}
