// Versioned migrations, run on start and by `loom migrate`. Written once for both dialects:
// portable column types only (text, integer, double precision), see schema.ts. Each migration
// lives in migrations/, grouped by the era of the schema; this module runs them as one list.
import { inspect } from 'node:util'
import { Migrator } from 'kysely'
import type { Kysely, Migration, MigrationResultSet } from 'kysely'
import type { Database } from './schema.ts'
import { migrations0001To0006 } from './migrations/0001-0006.ts'
import { migrations0007To0011 } from './migrations/0007-0011.ts'
import { migrationsFrom0012 } from './migrations/0012.ts'
import { migrationsFrom0013 } from './migrations/0013.ts'

const migrations: Record<string, Migration> = {
  ...migrations0001To0006,
  ...migrations0007To0011,
  ...migrationsFrom0012,
  ...migrationsFrom0013,
}

/** Names of every migration this build knows, in order. */
export const migrationNames = Object.keys(migrations).sort()

/** Brings the schema to the latest version; throws (naming the migration) if one fails. */
export async function migrateToLatest(
  db: Kysely<Database>,
  schema: string | null = null,
): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    // With a schema of its own, Loom's migration bookkeeping lives there too (otherwise Kysely
    // may find another schema's lock table and skip creating its own).
    ...(schema !== null && { migrationTableSchema: schema }),
  })
  const { error, results }: MigrationResultSet = await migrator.migrateToLatest()
  const failed = results?.find((r) => r.status === 'Error')
  if (error !== undefined) {
    const cause = error instanceof Error ? error.message : inspect(error)
    throw new Error(
      `migration ${failed?.migrationName ?? '(before any migration ran)'} failed: ${cause}`,
    )
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
