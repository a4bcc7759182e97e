// Migrations from 0013: what the hosted page says about who holds the person's data (the tenant's
// privacy notice and data controller), the tenant's logo, and short links for the move from a
// computer to a phone.
import { PostgresAdapter } from 'kysely'
import type { Kysely, Migration } from 'kysely'

// Migrations receive an untyped Kysely: the schema they create is the one of their time.
type AnyDb = Kysely<unknown>

export const migrationsFrom0013: Record<string, Migration> = {
  '0013_tenant_privacy_and_logo': {
    async up(db: AnyDb) {
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter
      // GDPR Art. 13(1)(a): the person is told who the controller is and how to reach them.
      await db.schema.alterTable('tenants').addColumn('privacy_notice_url', 'text').execute()
      await db.schema.alterTable('tenants').addColumn('controller_name', 'text').execute()
      await db.schema.alterTable('tenants').addColumn('controller_contact_url', 'text').execute()
      // The logo's hash names its URL (so it can be cached for good); null: no logo.
      await db.schema.alterTable('tenants').addColumn('logo_hash', 'text').execute()
      // The logo itself (a PNG re-encoded by the engine, not personal data) has a table of its
      // own: tenant rows are read on every authenticated request and stay small.
      await db.schema
        .createTable('tenant_logos')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('png', postgres ? 'bytea' : 'blob', (c) => c.notNull())
        .addColumn('width', 'integer', (c) => c.notNull())
        .addColumn('height', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
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
