// Migrations from 0012: console accounts belong to a tenant, so one email may have an account in
// several tenants (later migrations join this file until it holds an era of its own).
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
}
