// The native API's request and answer shapes, written out by hand so the package ships no server
// code. test/sdk.test.ts compares each one's fields with the route schemas the server publishes
// (/openapi.json, generated from its TypeBox schemas), so they cannot drift apart.

export type VerificationStatus =
  | 'pending'
  | 'in_progress'
  | 'processing'
  | 'approved'
  | 'rejected'
  | 'review'
  | 'expired'
  | 'abandoned'
  | 'failed'

export type VerificationType = 'age_only' | 'full_verification' | 'age_estimation'

/** Test keys only: decide the verification without reading its images. */
export type MockBehavior =
  | 'approve'
  | 'reject_underage'
  | 'reject_expired'
  | 'document_unreadable'
  | 'face_mismatch'
  | 'review'

/** What a decision (and an age token) rests on. */
export type AttestationMethod =
  'document' | 'document+face' | 'age_estimation' | 'tenant_attested' | 'manual_review' | 'mock'

export type ImageType = 'document_front' | 'document_back' | 'selfie'

/** `ok`, or what the person should fix before sending the image again. */
export type ImageFeedback =
  | 'ok'
  | 'blurry'
  | 'glare'
  | 'too_dark'
  | 'too_small'
  | 'no_document'
  | 'mrz_unreadable'
  | 'barcode_unreadable'
  | 'try_again'
  | 'no_face'
  | 'multiple_faces'
  | 'face_too_small'
  | 'face_cut_off'

/** A decision as Loom shows it to the tenant: no personal data. */
export interface PublicResult {
  verified: boolean
  verifiedAge: number | null
  over18: boolean
  reason: string | null
  reasons: string[]
  method: AttestationMethod
}

/** `POST /verify/start`; every field optional. */
export interface StartVerificationInput {
  /** Your own key-value pairs (at most 50 keys, 16 KB as JSON); returned as given. */
  metadata?: Record<string, unknown>
  /** Where the person returns after the hosted page (with verificationId, status and state). */
  returnUrl?: string
  /** Receives every event of this verification as a signed webhook. */
  callbackUrl?: string
  /** Returned unchanged on the redirect; check it there. */
  state?: string
  userAgent?: string
  ip?: string
  externalId?: string
  verificationType?: VerificationType
  /** 13–25, default 18. */
  minAge?: number
  /** `"90d"`, `"12h"`, `"30m"`; default the tenant's. */
  timeToLive?: string
  /** Test keys only. */
  mockBehavior?: MockBehavior
  /** A workflow (`/v1/workflows`) whose settings apply; the fields above win. */
  workflowId?: string
}

export interface StartedVerification {
  verificationId: string
  status: 'pending'
  /** Send the person here to complete the verification. */
  sessionUrl: string
  /** Same as sessionUrl. */
  redirectUrl: string
  expiresAt: string
  createdAt: string
  mode: 'live' | 'test'
  config: { verificationType: VerificationType; minAge: number; requiredImages: string[] }
}

export interface VerificationStatusReply {
  verificationId: string
  livemode: boolean
  status: VerificationStatus
  confidence: number | null
  verificationType: VerificationType
  minAge: number
  createdAt: string
  completedAt: string | null
  expiresAt: string
  metadata: Record<string, unknown> | null
  externalId: string | null
  /** Once decided. */
  result?: PublicResult
  /** The age token, once approved (until deleted or expired). */
  token?: string
  tokenExpiresAt?: string
}

/** The answer of `complete` and `submit`. */
export interface CompletedVerification {
  verificationId: string
  livemode: boolean
  status: VerificationStatus
  confidence: number | null
  completedAt: string | null
  result: PublicResult
  /** The age token (JWT), when approved. */
  token?: string
  tokenExpiresAt?: string
}

/** `POST /verify/submit`: your own outcome, e.g. after a manual review. */
export interface SubmitOutcomeInput {
  status: 'approved' | 'rejected'
  verifiedAge?: number
  /** e.g. `underage`; lower-case letters, digits and `_`. */
  reason?: string
}

export interface VerificationEvent {
  id: string
  type: string
  createdAt: string
  data: Record<string, unknown>
}

export interface VerificationEvents {
  verificationId: string
  events: VerificationEvent[]
}

export interface ResultCheck {
  name: string
  outcome: string
  detail?: string
}

/** `GET /verify/result`: the decision and the fields read (personal data). */
export interface DetailedResult {
  verificationId: string
  status: string
  result: PublicResult | null
  confidence: number | null
  documentType: string | null
  source: string | null
  person: Record<string, unknown> | null
  document: Record<string, unknown> | null
  checks: ResultCheck[]
  /** The personal data was deleted (by you or by the time to live). */
  purged: boolean
}

export interface DeletedVerification {
  verificationId: string
  deleted: true
  status: string
}

/** The answer to an image upload: the reader's instant feedback. */
export interface UploadedImage {
  imageId: string
  verificationId: string
  type: string
  feedback: ImageFeedback
  /** What to fix, in words. */
  message: string
  missingImages: string[]
  /** Every required image is in: the verification is being decided. */
  complete: boolean
  status: string
}

export interface ImageMetadata {
  imageId: string
  type: string
  contentType: string
  byteSize: number
  feedback: string
  createdAt: string
  purged: boolean
}

export interface ImageList {
  verificationId: string
  images: ImageMetadata[]
}

export interface DownloadedImage {
  bytes: Uint8Array
  contentType: string
}

export type TokenInvalidReason =
  | 'TOKEN_NOT_FOUND'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_INVALID'
  | 'TENANT_MISMATCH'
  | 'LIVEMODE_MISMATCH'
  | 'TOKEN_REVOKED'

/** `POST /tokens/validate`: `valid: true` with the claims, or `valid: false` with a reason. */
export interface TokenValidation {
  valid: boolean
  reason?: TokenInvalidReason
  livemode?: boolean
  method?: AttestationMethod
  over18?: boolean
  verificationId?: string
  verifiedAge?: number
  /** Age thresholds the token proves (13, 16, 18, 21, 25). */
  ageOver?: number[]
  issuedAt?: string
  expiresAt?: string
}

export interface TokenRevocation {
  revoked: true
  tokenId: string | null
  verificationId: string
  revokedAt: string
}

export type WebhookEventType =
  | 'verification.started'
  | 'verification.completed'
  | 'verification.failed'
  | 'verification.expired'
  | 'verification.abandoned'
  | 'verification.deleted'

/** The body of every webhook delivery. */
export interface WebhookEvent {
  /** The event id (`evt_…`): the same for every target of the event. */
  id: string
  type: WebhookEventType | (string & {})
  createdAt: string
  verificationId: string
  metadata: Record<string, unknown> | null
  externalId: string | null
  /** `live` or `test`; null once the verification is gone. */
  mode: string | null
  /** e.g. `{ verificationId, status, result }` for verification.completed. */
  data: Record<string, unknown>
}

export interface CreateWebhookEndpointInput {
  url: string
  /** Event types, or `["*"]` (the default) for all. */
  events?: (WebhookEventType | '*')[]
  enabled?: boolean
  description?: string | null
}

export type UpdateWebhookEndpointInput = Partial<CreateWebhookEndpointInput>

export interface WebhookEndpoint {
  id: string
  url: string
  events: string[]
  enabled: boolean
  description: string | null
  disabledReason: string | null
  previousSecretExpiresAt: string | null
  createdAt: string
  updatedAt: string
}

export interface WebhookEndpointWithSecret extends WebhookEndpoint {
  /** The signing secret (`whsec_…`); shown only in this answer. */
  secret: string
}

export interface WebhookSecret {
  secret: string
  previousSecretExpiresAt: string | null
  createdAt: string
  updatedAt: string
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed' | 'cancelled'

export interface WebhookDelivery {
  /** Also the `webhook-id` header: the same on every attempt. */
  id: string
  eventId: string
  eventType: string
  verificationId: string
  endpointId: string | null
  target: 'endpoint' | 'callback'
  url: string
  status: WebhookDeliveryStatus
  attempts: number
  lastStatusCode: number | null
  lastError: string | null
  lastAttemptAt: string | null
  nextAttemptAt: string | null
  deliveredAt: string | null
  createdAt: string
}

export interface WebhookAttempt {
  attempt: number
  statusCode: number | null
  durationMs: number
  responseExcerpt: string | null
  error: string | null
  createdAt: string
}

export interface WebhookDeliveryDetail extends WebhookDelivery {
  attemptLog: WebhookAttempt[]
}

export interface ListDeliveriesQuery {
  endpointId?: string
  verificationId?: string
  status?: WebhookDeliveryStatus
  limit?: number
}
