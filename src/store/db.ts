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
    // A pool error (server restart) must not crash the process; the next query reconnects.
    pool.on('error', () => undefined)
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins })
    return {
      db,
      dialect: 'postgres',
      schema: options.schema ?? null,
      ping: () => pingWith(db),
      close: () => db.destroy(),
    }
  }
  fs.mkdirSync(path.dirname(options.sqliteFile), { recursive: true })
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
