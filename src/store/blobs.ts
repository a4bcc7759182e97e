// Image bytes, always encrypted (AES-256-GCM, the key bound to the blob's name): files under
// the data directory by default, a table on PostgreSQL (so every process and host sees them).
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'
import type { Sealer } from './sealer.ts'

export interface BlobStore {
  put(key: string, bytes: Buffer): Promise<void>
  /** The bytes, or null when the blob does not exist (purged). */
  get(key: string): Promise<Buffer | null>
  delete(key: string): Promise<void>
}

const SAFE_KEY = /^[A-Za-z0-9_-]{1,128}$/

function checkKey(key: string): string {
  if (!SAFE_KEY.test(key)) throw new Error(`unsafe blob key ${JSON.stringify(key)}`)
  return key
}

class FileBlobs implements BlobStore {
  constructor(
    private readonly dir: string,
    private readonly sealer: Sealer,
  ) {}

  private file(key: string): string {
    return path.join(this.dir, checkKey(key).slice(0, 2), `${key}.bin`)
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    const file = this.file(key)
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
    const tmp = `${file}.${process.pid}.tmp`
    await fs.writeFile(tmp, this.sealer.sealBytes(bytes, `blob:${key}`), { mode: 0o600 })
    await fs.rename(tmp, file)
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return this.sealer.openBytes(await fs.readFile(this.file(key)), `blob:${key}`)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.file(key), { force: true })
  }
}

class TableBlobs implements BlobStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly sealer: Sealer,
  ) {}

  async put(key: string, bytes: Buffer): Promise<void> {
    const data = this.sealer.sealBytes(bytes, `blob:${checkKey(key)}`)
    await this.db
      .insertInto('blobs')
      .values({ key, data, createdAt: new Date().toISOString() })
      .onConflict((oc) => oc.column('key').doUpdateSet({ data }))
      .execute()
  }

  async get(key: string): Promise<Buffer | null> {
    const row = await this.db
      .selectFrom('blobs')
      .select('data')
      .where('key', '=', key)
      .executeTakeFirst()
    return row ? this.sealer.openBytes(Buffer.from(row.data), `blob:${key}`) : null
  }

  async delete(key: string): Promise<void> {
    await this.db.deleteFrom('blobs').where('key', '=', key).execute()
  }
}

/** The blob store for a database: files under `dir` with SQLite, the `blobs` table with PostgreSQL. */
export function openBlobStore(
  dialect: 'sqlite' | 'postgres',
  db: Kysely<Database>,
  dir: string,
  sealer: Sealer,
): BlobStore {
  return dialect === 'postgres' ? new TableBlobs(db, sealer) : new FileBlobs(dir, sealer)
}
