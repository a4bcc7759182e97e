// The only reader of process.env. Parsed and checked once at start; a bad value stops Loom with a
// message naming the variable. Every variable here is documented in README.md.
import os from 'node:os'
import path from 'node:path'
import { compile as compileTrust } from '@fastify/proxy-addr'

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
  /** Live mode takes specimen documents as real (staging and demos only; never production). */
  acceptSpecimens: boolean
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  requestLogDays: number
  /** Largest request body accepted, in bytes (a 10 MB image is ~13.4 MB as base64). */
  bodyLimitBytes: number
  /** Whether `loom serve` also runs the background worker. */
  serveRunsWorker: boolean
  /** How long a stopping process may finish in-flight work before it exits anyway. */
  shutdownGraceMs: number
  /** How long a starting process waits for an unreachable database before it gives up. */
  databaseWaitMs: number
  /**
   * Which hops in front of Loom are trusted to say the client's address (X-Forwarded-For). The
   * client is the right-most address that is not a trusted proxy, never the left-most (which
   * whoever sends the request writes).
   */
  proxyTrust: ProxyTrust
  /** Failed authentications from one address (15 min) before it is refused for 15 min. */
  authMaxFailures: number
  /** Per-tenant rate limits on (default); off only behind a gateway that limits instead. */
  rateLimitsEnabled: boolean
  /** POST /tokens/validate answered off node:http when it can be (api/age-token-lane.ts). */
  tokenFastPath: boolean
  /** Worker threads reading documents. */
  engineThreads: number
  /** Time budget of one document read. */
  engineBudgetMs: number
  encryptionKey: string | null
  /** Time limit of one webhook attempt (connect, send, response). */
  webhookTimeoutMs: number
  /** Time limit to connect to a webhook endpoint (TCP and TLS). */
  webhookConnectTimeoutMs: number
  /** Time limit from the request sent to the first byte of the answer. */
  webhookFirstByteTimeoutMs: number
  /** Webhook deliveries one worker process sends at once (their own lane, beside decisions). */
  webhookConcurrency: number
  /** Of those, at most this many for one tenant. */
  webhookTenantConcurrency: number
  /** Delays before the 2nd, 3rd, … webhook attempt (the first is immediate); its length + 1 attempts in all. */
  webhookRetryScheduleMs: number[]
  /** How long a rotated-out webhook secret still signs (both signatures are sent meanwhile). */
  webhookSecretGraceMs: number
  /** How long a worker holds a claimed job before another worker may take it over. */
  jobLeaseMs: number
  /** Jobs one worker process runs at once. */
  workerConcurrency: number
  /** Longest pause between polls of an idle worker (it polls faster while busy). */
  workerPollMs: number
  /** Days finished jobs and webhook delivery logs are kept. */
  jobRetentionDays: number
  /** Where email invitations go out; null: email invitations fail with "not configured". */
  smtp: SmtpConfig | null
  /** How SMS invitations go out; null: SMS invitations fail with "not configured". */
  sms: SmsConfig | null
  /** Attempts to send one invitation before it is marked failed. */
  invitationMaxAttempts: number
}

/** No proxy (the socket's address is the client's), a number of hops, or the proxies' addresses. */
export type ProxyTrust =
  { kind: 'none' } | { kind: 'hops'; hops: number } | { kind: 'addresses'; addresses: string[] }

/** Where load balancers usually sit: loopback, link-local and private networks. */
export const PRIVATE_NETWORKS = ['loopback', 'linklocal', 'uniquelocal']

export interface SmtpConfig {
  host: string
  port: number
  /** Implicit TLS (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean
  user: string | null
  password: string | null
  from: string
}

export interface SmsConfig {
  provider: 'http' | 'twilio'
  url: string
  /** Value of the Authorization header (http provider), e.g. `Bearer …`. */
  authorization: string | null
  /** http provider: JSON body with {{to}}, {{from}} and {{body}} filled in (JSON-escaped). */
  bodyTemplate: string
  from: string | null
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

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** A comma-separated list of durations such as `5s,5m,30m,2h`. */
function durations(env: Env, name: string, fallback: string): number[] {
  const raw = env[name]?.trim() || fallback
  const values = raw.split(',').map((part) => {
    const match = DURATION.exec(part.trim())
    const ms = match ? Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? NaN) : NaN
    if (!Number.isFinite(ms) || ms > 30 * 86_400_000) {
      throw new ConfigError(
        `${name} must be a comma-separated list of durations like "5s,5m,30m,2h" (units ms, s, m, h, d; each at most 30d); got "${raw}"`,
      )
    }
    return Math.round(ms)
  })
  if (values.length > 50) throw new ConfigError(`${name} may list at most 50 delays`)
  return values
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
    acceptSpecimens: boolean(env, 'LOOM_ACCEPT_SPECIMENS', false),
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
    shutdownGraceMs: integer(env, 'LOOM_SHUTDOWN_GRACE_SECONDS', 10, 1, 3600) * 1000,
    databaseWaitMs: integer(env, 'LOOM_DATABASE_WAIT_SECONDS', 60, 0, 3600) * 1000,
    proxyTrust: proxyTrust(env),
    authMaxFailures: integer(env, 'LOOM_AUTH_MAX_FAILURES', 30, 6, 100_000),
    rateLimitsEnabled: boolean(env, 'LOOM_RATE_LIMITS', true),
    tokenFastPath: boolean(env, 'LOOM_TOKEN_FAST_PATH', true),
    engineThreads: integer(env, 'LOOM_ENGINE_THREADS', os.availableParallelism(), 1, 256),
    engineBudgetMs: integer(env, 'LOOM_ENGINE_BUDGET_MS', 5000, 100, 120_000),
    encryptionKey,
    ...jobSettings(env),
    smtp: smtpSettings(env),
    sms: smsSettings(env),
    invitationMaxAttempts: integer(env, 'LOOM_INVITATION_MAX_ATTEMPTS', 5, 1, 50),
  }
}

/**
 * LOOM_TRUST_PROXY=false (default) | true | a hop count, and LOOM_TRUSTED_PROXIES (addresses and
 * CIDRs, or `loopback`, `linklocal`, `uniquelocal`). `true` without a list trusts the private
 * networks, where a load balancer in front of Loom normally is.
 */
function proxyTrust(env: Env): ProxyTrust {
  const raw = env.LOOM_TRUST_PROXY?.trim().toLowerCase() ?? ''
  const listed = (env.LOOM_TRUSTED_PROXIES ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
  if (/^\d+$/.test(raw)) {
    if (listed.length > 0) {
      throw new ConfigError(
        'Set LOOM_TRUST_PROXY to true (not a hop count) with LOOM_TRUSTED_PROXIES',
      )
    }
    return { kind: 'hops', hops: integer(env, 'LOOM_TRUST_PROXY', 0, 1, 20) }
  }
  const trusted = boolean(env, 'LOOM_TRUST_PROXY', listed.length > 0)
  if (!trusted) {
    if (listed.length > 0) {
      throw new ConfigError('LOOM_TRUSTED_PROXIES is set but LOOM_TRUST_PROXY is false')
    }
    return { kind: 'none' }
  }
  const addresses = listed.length > 0 ? listed : PRIVATE_NETWORKS
  try {
    compileTrust(addresses)
  } catch (err) {
    throw new ConfigError(
      `LOOM_TRUSTED_PROXIES must list IP addresses or CIDRs (or loopback, linklocal, uniquelocal): ${err instanceof Error ? err.message : String(err)}`,
    )
  }
  return { kind: 'addresses', addresses }
}

function smtpSettings(env: Env): SmtpConfig | null {
  const host = env.LOOM_SMTP_HOST?.trim()
  if (!host) return null
  const secure = boolean(env, 'LOOM_SMTP_SECURE', false)
  const from = env.LOOM_SMTP_FROM?.trim()
  if (!from)
    throw new ConfigError(
      'LOOM_SMTP_FROM is needed with LOOM_SMTP_HOST (e.g. "Acme <id@acme.example>")',
    )
  return {
    host,
    port: integer(env, 'LOOM_SMTP_PORT', secure ? 465 : 587, 1, 65535),
    secure,
    user: env.LOOM_SMTP_USER || null,
    password: env.LOOM_SMTP_PASSWORD || null,
    from,
  }
}

const DEFAULT_SMS_BODY = '{"to":"{{to}}","from":"{{from}}","text":"{{body}}"}'

function smsSettings(env: Env): SmsConfig | null {
  const provider = env.LOOM_SMS_PROVIDER?.trim() || 'none'
  if (provider === 'none') return null
  const from = env.LOOM_SMS_FROM?.trim() || null
  if (provider === 'twilio') {
    const sid = env.LOOM_TWILIO_ACCOUNT_SID?.trim()
    const token = env.LOOM_TWILIO_AUTH_TOKEN?.trim()
    if (!sid || !token || from === null) {
      throw new ConfigError(
        'LOOM_SMS_PROVIDER=twilio needs LOOM_TWILIO_ACCOUNT_SID, LOOM_TWILIO_AUTH_TOKEN and LOOM_SMS_FROM',
      )
    }
    return {
      provider,
      url:
        url(env, 'LOOM_SMS_URL', ['http:', 'https:']) ??
        `https://api.twilio.com/2010-04-01/Accounts/${encodeURIComponent(sid)}/Messages.json`,
      authorization: `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}`,
      bodyTemplate: '',
      from,
    }
  }
  if (provider !== 'http') {
    throw new ConfigError(`LOOM_SMS_PROVIDER must be none, http or twilio; got "${provider}"`)
  }
  const target = url(env, 'LOOM_SMS_URL', ['http:', 'https:'])
  if (target === null) throw new ConfigError('LOOM_SMS_PROVIDER=http needs LOOM_SMS_URL')
  const bodyTemplate = env.LOOM_SMS_BODY_TEMPLATE?.trim() || DEFAULT_SMS_BODY
  if (!bodyTemplate.includes('{{to}}') || !bodyTemplate.includes('{{body}}')) {
    throw new ConfigError('LOOM_SMS_BODY_TEMPLATE must contain {{to}} and {{body}}')
  }
  try {
    JSON.parse(bodyTemplate.replaceAll(/\{\{(to|from|body)\}\}/g, 'x'))
  } catch {
    throw new ConfigError(
      'LOOM_SMS_BODY_TEMPLATE must be JSON once {{to}}, {{from}} and {{body}} are filled in',
    )
  }
  return {
    provider,
    url: target,
    authorization: env.LOOM_SMS_AUTHORIZATION?.trim() || null,
    bodyTemplate,
    from,
  }
}

/** Standard Webhooks' schedule, stretched with 10 h steps to about three days. */
const DEFAULT_WEBHOOK_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h,10h,10h,10h,10h'

function jobSettings(env: Env) {
  const webhookTimeoutMs = integer(env, 'LOOM_WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000)
  const jobLeaseMs = integer(env, 'LOOM_JOB_LEASE_SECONDS', 60, 1, 3600) * 1000
  // A lease shorter than an attempt would let a second worker send the same webhook while the
  // first is still waiting for its answer.
  if (jobLeaseMs <= webhookTimeoutMs) {
    throw new ConfigError(
      `LOOM_JOB_LEASE_SECONDS (${jobLeaseMs / 1000}) must be longer than LOOM_WEBHOOK_TIMEOUT_MS (${webhookTimeoutMs} ms)`,
    )
  }
  const webhookConcurrency = integer(env, 'LOOM_WEBHOOK_CONCURRENCY', 16, 1, 256)
  return {
    webhookTimeoutMs,
    webhookConnectTimeoutMs: integer(env, 'LOOM_WEBHOOK_CONNECT_TIMEOUT_MS', 3000, 100, 60_000),
    webhookFirstByteTimeoutMs: integer(
      env,
      'LOOM_WEBHOOK_FIRST_BYTE_TIMEOUT_MS',
      5000,
      100,
      120_000,
    ),
    webhookConcurrency,
    webhookTenantConcurrency: integer(
      env,
      'LOOM_WEBHOOK_TENANT_CONCURRENCY',
      Math.min(4, webhookConcurrency),
      1,
      webhookConcurrency,
    ),
    webhookRetryScheduleMs: durations(
      env,
      'LOOM_WEBHOOK_RETRY_SCHEDULE',
      DEFAULT_WEBHOOK_RETRY_SCHEDULE,
    ),
    webhookSecretGraceMs: integer(env, 'LOOM_WEBHOOK_SECRET_GRACE_HOURS', 24, 0, 720) * 3_600_000,
    jobLeaseMs,
    workerConcurrency: integer(env, 'LOOM_WORKER_CONCURRENCY', 16, 1, 256),
    workerPollMs: integer(env, 'LOOM_WORKER_POLL_MS', 250, 10, 60_000),
    jobRetentionDays: integer(env, 'LOOM_JOB_RETENTION_DAYS', 14, 1, 3650),
  }
}

/** What the client commands (`loom listen`) need: where Loom answers, and a tenant key. */
export interface ClientConfig {
  /** LOOM_URL, else http://localhost:PORT. */
  url: string
  /** LOOM_API_KEY, if set. */
  apiKey: string | null
}

/** Reads the client commands' settings; flags given on the command line win over these. */
export function loadClientConfig(env: Env = process.env): ClientConfig {
  const port = integer(env, 'PORT', 8080, 1, 65535)
  const base = url(env, 'LOOM_URL', ['http:', 'https:']) ?? `http://localhost:${port}`
  return { url: base.replace(/\/+$/, ''), apiKey: env.LOOM_API_KEY?.trim() || null }
}
