// @loom/sdk: a Node.js client for Loom's native API.
export { VERSION } from './version.ts'
export {
  DECIDED_STATUSES,
  Images,
  Loom,
  Tokens,
  Verifications,
  WebhookDeliveries,
  WebhookEndpoints,
  Webhooks,
} from './client.ts'
export type { ImageInput, LoomOptions, WaitOptions } from './client.ts'
export {
  AuthenticationError,
  ConflictError,
  ConnectionError,
  LoomError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  ValidationError,
  WebhookVerificationError,
} from './errors.ts'
export type { LoomErrorInit } from './errors.ts'
export type { FetchLike } from './http.ts'
export { TOKEN_AUDIENCE, verifyAgeToken } from './tokens.ts'
export type {
  AgeTokenClaims,
  OfflineInvalidReason,
  OfflineTokenCheck,
  VerifyOfflineOptions,
} from './tokens.ts'
export { DEFAULT_WEBHOOK_TOLERANCE_SECONDS, verifyWebhook } from './webhooks.ts'
export type { VerifyWebhookOptions, WebhookHeaders } from './webhooks.ts'
export type * from './types.ts'
