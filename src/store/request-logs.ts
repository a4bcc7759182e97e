// The admin's request log: one row per request, written in batches, kept a configurable time.
import type { Insertable, Kysely, Selectable } from 'kysely'
import type { Database, RequestLogTable } from './schema.ts'

export type RequestLogEntry = Selectable<RequestLogTable>

/** Inserts a batch of entries in one statement per 500 rows. */
export async function insertRequestLogs(
  db: Kysely<Database>,
  entries: Insertable<RequestLogTable>[],
): Promise<void> {
  for (let i = 0; i < entries.length; i += 500) {
    await db
      .insertInto('requestLogs')
      .values(entries.slice(i, i + 500))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute()
  }
}

export interface RequestLogFilter {
  tenantId?: string
  status?: number
  since?: string
  limit: number
}

/** Newest entries first, filtered. */
export async function queryRequestLogs(
  db: Kysely<Database>,
  filter: RequestLogFilter,
): Promise<RequestLogEntry[]> {
  let query = db.selectFrom('requestLogs').selectAll()
  if (filter.tenantId !== undefined) query = query.where('tenantId', '=', filter.tenantId)
  if (filter.status !== undefined) query = query.where('status', '=', filter.status)
  if (filter.since !== undefined) query = query.where('time', '>=', filter.since)
  return query.orderBy('time', 'desc').orderBy('id', 'desc').limit(filter.limit).execute()
}

/** Deletes entries older than `before`; returns how many. */
export async function pruneRequestLogs(db: Kysely<Database>, before: string): Promise<number> {
  const result = await db.deleteFrom('requestLogs').where('time', '<', before).executeTakeFirst()
  return Number(result.numDeletedRows)
}
