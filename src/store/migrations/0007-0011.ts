// Migrations 0007–0011: workflows, applicants and invitations (the sessions APIs), the console,
// and the tenant event feed.
import type { Kysely, Migration } from 'kysely'

// Migrations receive an untyped Kysely: the schema they create is the one of their time.
type AnyDb = Kysely<unknown>

export const migrations0007To0011: Record<string, Migration> = {
  '0007_workflows_applicants_invitations': {
    async up(db: AnyDb) {
      // Reusable verification settings per tenant (the sessions API). A verification keeps a snapshot of
      // its workflow's settings (`verifications.settings`), so editing or deleting a workflow
      // never changes a session already sent to someone.
      await db.schema
        .createTable('workflows')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('verification_type', 'text', (c) => c.notNull())
        .addColumn('min_age', 'integer', (c) => c.notNull())
        .addColumn('age_buffer', 'integer', (c) => c.notNull())
        .addColumn('accepted_document_types', 'text') // JSON array; null = every type
        .addColumn('accepted_countries', 'text') // JSON array of ICAO codes; null = every issuer
        .addColumn('require_selfie', 'integer', (c) => c.notNull())
        .addColumn('time_to_live', 'text')
        .addColumn('invitation', 'text') // JSON: email subject/body, SMS body
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('workflows_tenant')
        .on('workflows')
        .columns(['tenant_id', 'created_at'])
        .execute()
      await db.schema.alterTable('tenants').addColumn('default_workflow_id', 'text').execute()
      await db.schema.alterTable('tenants').addColumn('brand_color', 'text').execute()
      await db.schema.alterTable('verifications').addColumn('workflow_id', 'text').execute()
      await db.schema.alterTable('verifications').addColumn('settings', 'text').execute()
      // The applicant's name, email and phone (the sessions API), encrypted like document data.
      await db.schema.alterTable('verifications').addColumn('applicant_sealed', 'text').execute()
      // Why an open session ended without a decision (user_cancelled, session_expired, …).
      await db.schema.alterTable('verifications').addColumn('end_reason', 'text').execute()
      await db.schema
        .createIndex('verifications_external_id')
        .on('verifications')
        .columns(['tenant_id', 'external_id'])
        .execute()
      await db.schema
        .createTable('invitations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('verification_id', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('sent_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('invitations_verification')
        .on('invitations')
        .columns(['verification_id'])
        .execute()
    },
  },
  '0008_tenant_submit_allowed': {
    async up(db: AnyDb) {
      // Whether the tenant may record its own outcomes (/verify/submit, tenant-attested tokens).
      await db.schema
        .alterTable('tenants')
        .addColumn('submit_allowed', 'integer', (c) => c.notNull().defaultTo(1))
        .execute()
    },
  },
  '0009_workflow_retry_policy': {
    async up(db: AnyDb) {
      // New attempts on the hosted page after a rejection the person can fix (JSON; null: default).
      await db.schema.alterTable('workflows').addColumn('retry_policy', 'text').execute()
    },
  },
  '0010_console': {
    async up(db: AnyDb) {
      // People who sign in to the console: a tenant's users (tenant_id set) by email + password.
      await db.schema
        .createTable('console_users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text')
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('totp_secret_sealed', 'text')
        .addColumn('invite_hash', 'text')
        .addColumn('invite_expires_at', 'text')
        .addColumn('sessions_valid_after', 'text')
        .addColumn('disabled_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      // An email is one account across tenants: sign-in asks only for the email.
      await db.schema
        .createIndex('console_users_email')
        .on('console_users')
        .column('email')
        .unique()
        .execute()
      await db.schema
        .createIndex('console_users_invite')
        .on('console_users')
        .column('invite_hash')
        .execute()
      await db.schema
        .createTable('console_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'text') // null: the operator (signed in with the admin key)
        .addColumn('tenant_id', 'text')
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('idle_expires_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('console_sessions_user')
        .on('console_sessions')
        .column('user_id')
        .execute()
      // Who looked at a person's data, and who decided a review.
      await db.schema
        .createTable('console_audit')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('verification_id', 'text')
        .addColumn('detail', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('console_audit_tenant_time')
        .on('console_audit')
        .columns(['tenant_id', 'created_at'])
        .execute()
      // The console's lists: by tenant and status, newest (or, for the review queue, oldest) first.
      await db.schema
        .createIndex('verifications_tenant_status_created')
        .on('verifications')
        .columns(['tenant_id', 'status', 'created_at'])
        .execute()
    },
  },
  '0011_tenant_event_feed': {
    async up(db: AnyDb) {
      // GET /events (and `loom listen`) read a tenant's events in creation order.
      await db.schema
        .createIndex('verification_events_tenant_created')
        .on('verification_events')
        .columns(['tenant_id', 'created_at', 'id'])
        .execute()
    },
  },
}
