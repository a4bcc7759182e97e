// The only reader of process.env. Parsed and checked once at start; a bad value stops Loom with a
// message naming the variable. Every variable here is documented in README.md.
import path from 'node:path'

export interface Config {
  port: number
  host: string
  dataDir: string
  publicUrl: string
  adminKey: string | null
  databaseUrl: string | null
  /** PostgreSQL schema for Loom's tables (default: the server's search_path). */
  databaseSchema: string | null
  redisUrl: string | null
  /** Prefix of every Redis key Loom writes (several instances can share one Redis). */
  redisKeyPrefix: string
  allowPrivateWebhooks: boolean
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  requestLogDays: number
  /** Largest request body accepted, in bytes (a 10 MB image is ~13.4 MB as base64). */
  bodyLimitBytes: number
  /** Whether `loom serve` also runs the background worker. */
  serveRunsWorker: boolean
  trustProxy: boolean
  encryptionKey: string | null
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}; got "${raw}"`)
  }
  return value
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase()
  if (raw === undefined || raw === '') return fallback
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true
  if (['0', 'false', 'no', 'off'].includes(raw)) return false
  throw new ConfigError(`${name} must be true or false; got "${env[name]}"`)
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = env[name]
  if (raw === undefined || raw === '') return null
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new ConfigError(`${name} is not a valid URL`)
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`)
  }
  return raw
}

function schemaName(env: Env, name: string): string | null {
  const raw = env[name]
  if (raw === undefined || raw === '') return null
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(raw)) {
    throw new ConfigError(`${name} must be a lower-case SQL identifier (a-z, 0-9, _)`)
  }
  return raw
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Reads the configuration from an environment (process.env by default). */
export function loadConfig(env: Env = process.env): Config {
  const port = integer(env, 'PORT', 8080, 0, 65535)
  const logLevel = env.LOG_LEVEL ?? 'info'
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got "${logLevel}"`)
  }
  const adminKey = env.LOOM_ADMIN_KEY?.trim() || null
  if (adminKey !== null && adminKey.length < 16) {
    throw new ConfigError('LOOM_ADMIN_KEY must be at least 16 characters long')
  }
  const encryptionKey = env.LOOM_ENCRYPTION_KEY?.trim() || null
  if (encryptionKey !== null && !/^[A-Za-z0-9+/_-]{43}=?$/.test(encryptionKey)) {
    throw new ConfigError('LOOM_ENCRYPTION_KEY must be 32 bytes in base64 (44 characters)')
  }
  const publicUrl = url(env, 'LOOM_PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`
  return {
    port,
    host: env.HOST || '0.0.0.0',
    dataDir: path.resolve(env.LOOM_DATA_DIR || './data'),
    publicUrl: publicUrl.replace(/\/+$/, ''),
    adminKey,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    databaseSchema: schemaName(env, 'DATABASE_SCHEMA'),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix: env.REDIS_KEY_PREFIX || 'loom:',
    allowPrivateWebhooks: boolean(env, 'LOOM_ALLOW_PRIVATE_WEBHOOKS', false),
    logLevel: logLevel as Config['logLevel'],
    requestLogDays: integer(env, 'LOOM_REQUEST_LOG_DAYS', 14, 1, 3650),
    bodyLimitBytes: integer(
      env,
      'LOOM_BODY_LIMIT_BYTES',
      15 * 1024 * 1024,
      1024,
      100 * 1024 * 1024,
    ),
    serveRunsWorker: boolean(env, 'LOOM_SERVE_WORKER', true),
    trustProxy: boolean(env, 'LOOM_TRUST_PROXY', false),
    encryptionKey,
  }
}
