// Versioned migrations, run on start and by `loom migrate`. Written once for both dialects:
// portable column types only (text, integer, double precision), see schema.ts.
import { inspect } from 'node:util'
import { Migrator, PostgresAdapter } from 'kysely'
import type { Kysely, Migration, MigrationResultSet } from 'kysely'
import type { Database } from './schema.ts'

// Migrations receive an untyped Kysely: the schema they create is the one of their time.
type AnyDb = Kysely<unknown>

const migrations: Record<string, Migration> = {
  '0001_tenants_keys_settings_logs': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('tenants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('plan', 'text', (c) => c.notNull())
        .addColumn('rate_limit_per_minute', 'integer')
        .addColumn('monthly_quota', 'integer')
        .addColumn('hard_limit', 'integer')
        .addColumn('allow_overage', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('token_ttl_seconds', 'integer')
        .addColumn('data_ttl_days', 'integer')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute()
      await db.schema.createIndex('api_keys_tenant').on('api_keys').column('tenant_id').execute()
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('request_logs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('time', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('duration_ms', 'double precision', (c) => c.notNull())
        .addColumn('tenant_id', 'text')
        .addColumn('event', 'text')
        .execute()
      await db.schema.createIndex('request_logs_time').on('request_logs').column('time').execute()
      await db.schema
        .createIndex('request_logs_tenant_time')
        .on('request_logs')
        .columns(['tenant_id', 'time'])
        .execute()
    },
  },
  '0002_verifications_events': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('verifications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('surface', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('verification_type', 'text', (c) => c.notNull())
        .addColumn('min_age', 'integer', (c) => c.notNull())
        .addColumn('metadata', 'text')
        .addColumn('callback_url', 'text')
        .addColumn('state', 'text')
        .addColumn('external_id', 'text')
        .addColumn('client', 'text') // encrypted later: user agent and IP the tenant passed
        .addColumn('mock_behavior', 'text')
        .addColumn('idempotency_key', 'text')
        .addColumn('request_hash', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('completed_at', 'text')
        .addColumn('confidence', 'double precision')
        .addColumn('result', 'text')
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()

      await db.schema
        .createIndex('verifications_tenant_created')
        .on('verifications')
        .columns(['tenant_id', 'created_at'])
        .execute()
      await db.schema
        .createIndex('verifications_idempotency')
        .on('verifications')
        .columns(['tenant_id', 'idempotency_key'])
        .unique()
        .execute()
      await db.schema
        .createIndex('verifications_status_expiry')
        .on('verifications')
        .columns(['status', 'expires_at'])
        .execute()
      await db.schema
        .createTable('verification_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('verification_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('verification_events_verification')
        .on('verification_events')
        .columns(['verification_id', 'created_at'])
        .execute()
    },
  },
  '0003_signing_keys_revocations': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('private_jwk_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('retired_at', 'text')
        .addColumn('publish_until', 'text')
        .execute()
      await db.schema
        .createTable('token_revocations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('jti', 'text')
        .addColumn('verification_id', 'text')
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('token_revocations_created')
        .on('token_revocations')
        .column('created_at')
        .execute()
    },
  },
  '0004_usage': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('usage_months')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('month', 'text', (c) => c.notNull()) // YYYY-MM, UTC
        .addColumn('units', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('usage_months_pk', ['tenant_id', 'month'])
        .execute()
      await db.schema
        .createTable('usage_days')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull()) // YYYY-MM-DD, UTC
        .addColumn('units', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('usage_days_pk', ['tenant_id', 'day'])
        .execute()
    },
  },
  '0005_jobs_webhooks': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text')
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('run_at', 'text', (c) => c.notNull())
        .addColumn('locked_by', 'text')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .execute()
      // Claims scan (state, run_at); the admin lists by state, newest first.
      await db.schema
        .createIndex('jobs_state_run_at')
        .on('jobs')
        .columns(['state', 'run_at'])
        .execute()
      await db.schema
        .createIndex('jobs_state_created')
        .on('jobs')
        .columns(['state', 'created_at'])
        .execute()
      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('event_types', 'text')
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('description', 'text')
        .addColumn('disabled_reason', 'text')
        .addColumn('secret_sealed', 'text', (c) => c.notNull())
        .addColumn('previous_secret_sealed', 'text')
        .addColumn('previous_secret_expires_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('webhook_endpoints_tenant')
        .on('webhook_endpoints')
        .columns(['tenant_id', 'created_at'])
        .execute()
      await db.schema
        .createTable('webhook_secrets')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id'))
        .addColumn('secret_sealed', 'text', (c) => c.notNull())
        .addColumn('previous_secret_sealed', 'text')
        .addColumn('previous_secret_expires_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('verification_id', 'text', (c) => c.notNull())
        .addColumn('endpoint_id', 'text')
        .addColumn('target_key', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('last_attempt_at', 'text')
        .addColumn('next_attempt_at', 'text')
        .addColumn('delivered_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      // One delivery per event and target: a dispatch that runs twice inserts nothing new.
      await db.schema
        .createIndex('webhook_deliveries_event_target')
        .on('webhook_deliveries')
        .columns(['event_id', 'target_key'])
        .unique()
        .execute()
      await db.schema
        .createIndex('webhook_deliveries_tenant_created')
        .on('webhook_deliveries')
        .columns(['tenant_id', 'created_at'])
        .execute()
      await db.schema
        .createTable('webhook_attempts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('delivery_id', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('duration_ms', 'double precision', (c) => c.notNull())
        .addColumn('response_excerpt', 'text')
        .addColumn('error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('webhook_attempts_delivery')
        .on('webhook_attempts')
        .columns(['delivery_id', 'created_at'])
        .execute()
    },
  },
  '0006_images_blobs': {
    async up(db: AnyDb) {
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter
      await db.schema
        .createTable('verification_images')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('verification_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('byte_size', 'integer', (c) => c.notNull())
        .addColumn('width', 'integer')
        .addColumn('height', 'integer')
        .addColumn('blob_key', 'text')
        .addColumn('feedback', 'text', (c) => c.notNull())
        .addColumn('read_ok', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('read_document_type', 'text')
        .addColumn('read_sealed', 'text') // the engine's reading (personal data), encrypted
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('purged_at', 'text')
        .execute()
      await db.schema
        .createIndex('verification_images_verification')
        .on('verification_images')
        .columns(['verification_id', 'created_at'])
        .execute()
      // Blobs live on disk by default; on PostgreSQL they live here (every process sees them).
      await db.schema
        .createTable('blobs')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('data', postgres ? 'bytea' : 'blob', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.alterTable('verifications').addColumn('person_sealed', 'text').execute()
      await db.schema.alterTable('verifications').addColumn('purged_at', 'text').execute()
      await db.schema.alterTable('verifications').addColumn('token_sealed', 'text').execute()
      // The caller's request id on one-shot surfaces (/v1/verify), echoed in its webhook.
      await db.schema.alterTable('verifications').addColumn('request_ref', 'text').execute()
    },
  },
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
