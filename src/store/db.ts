// Opens the database: SQLite (better-sqlite3) by default, PostgreSQL when DATABASE_URL is set.
// Only store/ knows which one it is talking to.
import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { CamelCasePlugin, Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import type { Database } from './schema.ts'

export type Dialect = 'sqlite' | 'postgres'

export interface Store {
  db: Kysely<Database>
  dialect: Dialect
  /** The PostgreSQL schema Loom's tables live in, when one was configured. */
  schema: string | null
  /** Whether the database answers a trivial query right now. */
  ping(): Promise<boolean>
  /**
   * Whether an error means the database cannot be reached or cannot take work right now (a
   * connection refused, cut or timed out, a server shutting down, a locked or full SQLite file):
   * a request may be retried later. Any other database error is a bug.
   */
  isUnavailable(err: unknown): boolean
  /** The PostgreSQL pool's connections in all, idle, and requests waiting; null on SQLite. */
  poolStats(): { total: number; idle: number; waiting: number } | null
  close(): Promise<void>
}

export interface StoreOptions {
  /** postgres://… ; null opens SQLite at `sqliteFile`. */
  databaseUrl: string | null
  sqliteFile: string
  /** PostgreSQL schema to use (tests isolate themselves in their own schema). */
  schema?: string
  poolSize?: number
}

/** Opens a store on SQLite or PostgreSQL. */
export function openStore(options: StoreOptions): Store {
  const plugins = [new CamelCasePlugin()]
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    })
    // A connection that breaks must never crash the process. pg-pool listens for errors on idle
    // clients only: a client checked out between two queries (inside a transaction, say) emits an
    // 'error' event no one hears when its connection drops, and an unheard 'error' event ends the
    // process. Every client gets a listener for its whole life; the query on it fails instead, and
    // a broken client is not reused (pg-pool drops clients that errored).
    pool.on('error', () => undefined)
    pool.on('connect', (client) => {
      client.on('error', () => undefined)
    })
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins })
    return {
      db,
      dialect: 'postgres',
      schema: options.schema ?? null,
      ping: () => pingWith(db),
      isUnavailable: postgresUnavailable,
      poolStats: () => ({
        total: pool.totalCount,
        idle: pool.idleCount,
        waiting: pool.waitingCount,
      }),
      close: () => db.destroy(),
    }
  }
  // Readable by Loom's user only: the database holds sealed personal data and key material. (A
  // new directory is 0700; SQLite gives its -wal and -shm files the database file's mode.)
  fs.mkdirSync(path.dirname(options.sqliteFile), { recursive: true, mode: 0o700 })
  fs.closeSync(fs.openSync(options.sqliteFile, 'a', 0o600))
  if ((fs.statSync(options.sqliteFile).mode & 0o077) !== 0) fs.chmodSync(options.sqliteFile, 0o600)
  const database = new SQLite(options.sqliteFile)
  database.pragma('journal_mode = WAL')
  database.pragma('busy_timeout = 5000')
  database.pragma('foreign_keys = ON')
  database.pragma('synchronous = NORMAL')
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }), plugins })
  return {
    db,
    dialect: 'sqlite',
    schema: null,
    ping: () => pingWith(db),
    isUnavailable: sqliteUnavailable,
    poolStats: () => null,
    close: () => db.destroy(),
  }
}

async function pingWith(db: Kysely<Database>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db)
    return true
  } catch {
    return false
  }
}

/** Node's socket errors and pg's own messages for a connection that could not be used. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
])
const PG_CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|Connection ended|Cannot use a pool after calling end/i

/**
 * PostgreSQL: class 08 (connection exception), 53 (insufficient resources: too many
 * connections, disk full, out of memory), 57P01–57P03 (admin shutdown, crash shutdown, cannot
 * connect now), and network errors below the protocol.
 */
function postgresUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true
    if (/^(08|53)/.test(code) || /^57P0[123]$/.test(code)) return true
  }
  return PG_CONNECTION_MESSAGES.test(err.message)
}

/** SQLite: the file is locked past the busy timeout, full, read-only or failing to read/write. */
function sqliteUnavailable(err: unknown): boolean {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN)/.test(code)
}
