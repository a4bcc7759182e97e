// Small instance-wide values (the admin key's hash, the instance's generated secrets' markers).
import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'

/** A setting's value, or null. */
export async function getSetting(db: Kysely<Database>, key: string): Promise<string | null> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst()
  return row?.value ?? null
}

/** Stores a value only if the key is absent; returns whether this call stored it (races: one wins). */
export async function setSettingIfAbsent(
  db: Kysely<Database>,
  key: string,
  value: string,
): Promise<boolean> {
  const result = await db
    .insertInto('settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1
}

/** Stores a value, replacing any previous one. */
export async function putSetting(db: Kysely<Database>, key: string, value: string): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute()
}
