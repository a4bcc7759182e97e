// Migrations from 0012: console accounts belong to a tenant, so one email may have an account in
// several tenants; short handoff links (later migrations join this file until it holds an era of
// its own).
import type { Kysely, Migration } from 'kysely'

// Migrations receive an untyped Kysely: the schema they create is the one of their time.
type AnyDb = Kysely<unknown>

export const migrationsFrom0012: Record<string, Migration> = {
  '0012_console_users_per_tenant': {
    async up(db: AnyDb) {
      // An email was one account across the instance, so inviting an address that had an
      // account with another tenant answered "already has an account": one tenant learnt about
      // another's staff. Now unique per tenant; sign-in finds every account of the email and
      // asks which organisation when the password opens more than one.
      await db.schema.dropIndex('console_users_email').execute()
      await db.schema
        .createIndex('console_users_tenant_email')
        .on('console_users')
        .columns(['tenant_id', 'email'])
        .unique()
        .execute()
      await db.schema
        .createIndex('console_users_email')
        .on('console_users')
        .column('email')
        .execute()
    },
  },
  '0014_handoff_codes': {
    async up(db: AnyDb) {
      // Short links a person types on a phone to continue a session begun on a computer. A code
      // names a verification and ends with the page link it stands for; it holds no personal
      // data and the worker drops it once expired.
      await db.schema
        .createTable('handoff_codes')
        .addColumn('code', 'text', (c) => c.primaryKey())
        .addColumn('verification_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('handoff_codes_verification')
        .on('handoff_codes')
        .column('verification_id')
        .execute()
    },
  },
}
