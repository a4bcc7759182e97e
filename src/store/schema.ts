// Tables as the TypeScript code sees them (camelCase; CamelCasePlugin maps to snake_case columns).
// Dialect-neutral on purpose: times are ISO-8601 UTC text (fixed width, so they sort and compare
// as text on both SQLite and PostgreSQL), booleans are 0/1 integers, JSON is text.

import type { ColumnType } from 'kysely'

export interface TenantTable {
  id: string
  name: string
  isActive: number
  plan: string
  rateLimitPerMinute: number | null
  monthlyQuota: number | null
  hardLimit: number | null
  allowOverage: number
  tokenTtlSeconds: number | null
  dataTtlDays: number | null
  createdAt: string
  updatedAt: string
  defaultWorkflowId: ColumnType<string | null, string | null | undefined, string | null>
  brandColor: ColumnType<string | null, string | null | undefined, string | null>
  submitAllowed: ColumnType<number, number | undefined, number>
  privacyNoticeUrl: ColumnType<string | null, string | null | undefined, string | null>
  controllerName: ColumnType<string | null, string | null | undefined, string | null>
  controllerContactUrl: ColumnType<string | null, string | null | undefined, string | null>
  logoHash: ColumnType<string | null, string | null | undefined, string | null>
}

/** A tenant's logo: a PNG the engine re-encoded (at most 480×160, no metadata). */
export interface TenantLogoTable {
  tenantId: string
  /** SHA-256 of the PNG, hex; it names the logo's URL. */
  hash: string
  png: Buffer
  width: number
  height: number
  createdAt: string
}

export interface ApiKeyTable {
  id: string
  tenantId: string
  mode: 'live' | 'test'
  keyHash: string
  prefix: string
  name: string | null
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

export interface SettingTable {
  key: string
  value: string
}

export interface RequestLogTable {
  id: string
  requestId: string
  time: string
  method: string
  url: string
  status: number
  durationMs: number
  tenantId: string | null
  event: string | null
}

export interface VerificationTable {
  id: string
  tenantId: string
  mode: 'live' | 'test'
  surface: string
  status: string
  verificationType: string
  minAge: number
  metadata: string | null
  callbackUrl: string | null
  state: string | null
  externalId: string | null
  client: string | null
  mockBehavior: string | null
  idempotencyKey: string | null
  requestHash: string | null
  expiresAt: string
  createdAt: string
  updatedAt: string
  completedAt: string | null
  confidence: number | null
  result: string | null
  version: number
  personSealed: string | null
  purgedAt: string | null
  tokenSealed: string | null
  requestRef: string | null
  workflowId: ColumnType<string | null, string | null | undefined, string | null>
  /** JSON snapshot of the workflow's settings at creation. */
  settings: ColumnType<string | null, string | null | undefined, string | null>
  applicantSealed: ColumnType<string | null, string | null | undefined, string | null>
  endReason: ColumnType<string | null, string | null | undefined, string | null>
}

export interface WorkflowTable {
  id: string
  tenantId: string
  name: string
  verificationType: string
  minAge: number
  ageBuffer: number
  acceptedDocumentTypes: string | null
  acceptedCountries: string | null
  requireSelfie: number
  timeToLive: string | null
  invitation: string | null
  /** JSON RetryPolicy; null: the default. */
  retryPolicy: ColumnType<string | null, string | null | undefined, string | null>
  createdAt: string
  updatedAt: string
}

export interface InvitationTable {
  id: string
  tenantId: string
  verificationId: string
  channel: string
  status: string
  attempts: number
  lastError: string | null
  sentAt: string | null
  createdAt: string
  updatedAt: string
}

export interface SigningKeyTable {
  kid: string
  alg: string
  publicJwk: string
  privateJwkSealed: string
  createdAt: string
  retiredAt: string | null
  publishUntil: string | null
}

export interface TokenRevocationTable {
  id: string
  tenantId: string
  jti: string | null
  verificationId: string | null
  reason: string
  createdAt: string
  expiresAt: string
}

export interface HandoffCodeTable {
  code: string
  verificationId: string
  createdAt: string
  /** When the page link it stands for expires. */
  expiresAt: string
}

export interface VerificationEventTable {
  id: string
  tenantId: string
  verificationId: string
  type: string
  payload: string
  createdAt: string
}

export interface UsageMonthTable {
  tenantId: string
  month: string
  units: number
}

export interface UsageDayTable {
  tenantId: string
  day: string
  units: number
}

export interface JobTable {
  id: string
  type: string
  tenantId: string | null
  payload: string
  state: string
  attempts: number
  maxAttempts: number
  /** When a queued job is due; for a running job, when its lease expires. */
  runAt: string
  lockedBy: string | null
  lastError: string | null
  createdAt: string
  updatedAt: string
  finishedAt: string | null
}

export interface WebhookEndpointTable {
  id: string
  tenantId: string
  url: string
  /** JSON array of event types, or null for every event. */
  eventTypes: string | null
  enabled: number
  description: string | null
  disabledReason: string | null
  secretSealed: string
  previousSecretSealed: string | null
  previousSecretExpiresAt: string | null
  createdAt: string
  updatedAt: string
}

/** The tenant's default signing secret, used for per-verification callback URLs. */
export interface WebhookSecretTable {
  tenantId: string
  secretSealed: string
  previousSecretSealed: string | null
  previousSecretExpiresAt: string | null
  createdAt: string
  updatedAt: string
}

export interface WebhookDeliveryTable {
  id: string
  tenantId: string
  eventId: string
  eventType: string
  verificationId: string
  endpointId: string | null
  /** The endpoint id, or 'callback': one delivery per event and target. */
  targetKey: string
  url: string
  status: string
  attempts: number
  lastStatusCode: number | null
  lastError: string | null
  lastAttemptAt: string | null
  nextAttemptAt: string | null
  deliveredAt: string | null
  createdAt: string
  updatedAt: string
}

export interface WebhookAttemptTable {
  id: string
  tenantId: string
  deliveryId: string
  attempt: number
  statusCode: number | null
  durationMs: number
  responseExcerpt: string | null
  error: string | null
  createdAt: string
}

export interface VerificationImageTable {
  id: string
  tenantId: string
  verificationId: string
  kind: string
  contentType: string
  byteSize: number
  width: number | null
  height: number | null
  blobKey: string | null
  feedback: string
  /** 1 when the engine read this document side (its reading is in readSealed). */
  readOk: number
  /** The document type the reading found (no personal data), to know if a second side is due. */
  readDocumentType: string | null
  readSealed: string | null
  createdAt: string
  purgedAt: string | null
}

export interface BlobTable {
  key: string
  data: Buffer
  createdAt: string
}

export interface ConsoleUserTable {
  id: string
  tenantId: string
  email: string
  /** scrypt hash (see console/passwords.ts); null until an invitation is accepted. */
  passwordHash: string | null
  role: string
  totpSecretSealed: string | null
  /** SHA-256 of the invitation token while one is open. */
  inviteHash: string | null
  inviteExpiresAt: string | null
  /** Sessions created before this time are void ("sign out everywhere"). */
  sessionsValidAfter: string | null
  disabledAt: string | null
  createdAt: string
  updatedAt: string
}

export interface ConsoleSessionTable {
  id: string
  tokenHash: string
  /** Null for the operator's session (signed in with the admin key). */
  userId: string | null
  tenantId: string | null
  csrfToken: string
  createdAt: string
  expiresAt: string
  idleExpiresAt: string
}

export interface ConsoleAuditTable {
  id: string
  tenantId: string
  /** `usr_…` or `operator`. */
  actor: string
  action: string
  verificationId: string | null
  detail: string | null
  createdAt: string
}

export interface Database {
  tenants: TenantTable
  apiKeys: ApiKeyTable
  settings: SettingTable
  requestLogs: RequestLogTable
  verifications: VerificationTable
  verificationEvents: VerificationEventTable
  signingKeys: SigningKeyTable
  tokenRevocations: TokenRevocationTable
  handoffCodes: HandoffCodeTable
  jobs: JobTable
  webhookEndpoints: WebhookEndpointTable
  webhookSecrets: WebhookSecretTable
  webhookDeliveries: WebhookDeliveryTable
  webhookAttempts: WebhookAttemptTable
  usageMonths: UsageMonthTable
  usageDays: UsageDayTable
  verificationImages: VerificationImageTable
  blobs: BlobTable
  tenantLogos: TenantLogoTable
  workflows: WorkflowTable
  invitations: InvitationTable
  consoleUsers: ConsoleUserTable
  consoleSessions: ConsoleSessionTable
  consoleAudit: ConsoleAuditTable
}
