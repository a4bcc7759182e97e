// Migrations 0001–0006: the tables of the one-shot service — tenants and their keys, verifications
// and their events, signing keys and revocations, usage, jobs and webhooks, images and blobs.
import { PostgresAdapter } from 'kysely'
import type { Kysely, Migration } from 'kysely'

// Migrations receive an untyped Kysely: the schema they create is the one of their time.
type AnyDb = Kysely<unknown>

export const migrations0001To0006: Record<string, Migration> = {
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
}
