// The verification use cases every surface shares: start, read, complete, submit, expire.
// Combines domain rules, the store and the token service; surfaces only adapt shapes.
import { createHash } from 'node:crypto'
import type { Deps } from '../deps.ts'
import { DomainError } from '../domain/errors.ts'
import type { ApiKey, Caller, Tenant } from '../domain/tenants.ts'
import { monthlyCap } from '../domain/tenants.ts'
import { countUnit } from '../store/usage.ts'
import { isId, newId } from '../domain/ids.ts'
import { signSessionToken } from '../domain/session-links.ts'
import type { EndReason } from '../domain/outcome.ts'
import type { Workflow } from '../domain/workflows.ts'
import { defaultSettings, settingsOf } from '../domain/workflows.ts'
import type { Transaction } from 'kysely'
import type { Database } from '../store/schema.ts'
import { webhookUrlProblem } from '../jobs/ssrf.ts'
import {
  DEFAULT_TTL_DAYS,
  isFinal,
  methodOf,
  isOpen,
  mockDecision,
  parseTimeToLive,
} from '../domain/verification.ts'
import type {
  AttestationMethod,
  Decision,
  MockBehavior,
  SurfaceName,
  VerificationType,
} from '../domain/verification.ts'
import { DEFAULT_TOKEN_TTL_SECONDS } from '../domain/age-tokens.ts'
import {
  getVerification,
  insertVerification,
  transitionVerification,
} from '../store/verifications.ts'
import { findExpired } from '../store/verification-lifetimes.ts'
import type { Verification } from '../store/verifications.ts'

export type { Verification } from '../store/verifications.ts'

/** A session link is valid at most this long, however long the verification lives. */
export const SESSION_LINK_MAX_MS = 24 * 3600_000
export const MAX_METADATA_BYTES = 16 * 1024

export interface StartInput {
  surface: SurfaceName
  verificationType?: VerificationType | undefined
  minAge?: number | undefined
  metadata?: Record<string, unknown> | undefined
  callbackUrl?: string | undefined
  state?: string | undefined
  externalId?: string | undefined
  userAgent?: string | undefined
  ip?: string | undefined
  timeToLive?: string | undefined
  mockBehavior?: MockBehavior | undefined
  idempotencyKey?: string | undefined
  requestRef?: string | undefined
  /** Overrides the key's mode (the one-shot API's `test_mode: true` with a live key). */
  mode?: 'live' | 'test' | undefined
  /** The workflow whose settings the verification freezes (type, age, documents, TTL). */
  workflow?: Workflow | null | undefined
  /** The sessions API's applicant; sealed before it is stored. */
  applicant?: Applicant | undefined
  /** Runs in the creating transaction (e.g. to queue invitations); throw to roll back. */
  onCreated?:
    ((trx: Transaction<Database>, verification: { id: string }) => Promise<void>) | undefined
}

/** The person a session of the sessions API is for (personal data: sealed at rest, never logged). */
export interface Applicant {
  firstName: string
  lastName: string
  email: string
  phone: string
}

export interface Started {
  verification: Verification
  sessionUrl: string
  created: boolean
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** When a verification's hosted-page link stops working: 24 h after creation at most. */
export function sessionLinkExpiry(verification: Verification): Date {
  return new Date(
    Math.min(
      Date.parse(verification.expiresAt),
      Date.parse(verification.createdAt) + SESSION_LINK_MAX_MS,
    ),
  )
}

/** The hosted page URL for a verification (same on every call). */
export function sessionUrlFor(deps: Deps, verification: Verification): string {
  const token = signSessionToken(
    deps.sealer.deriveKey('session-links'),
    verification.id,
    sessionLinkExpiry(verification),
  )
  return `${deps.config.publicUrl}/s/${token}`
}

/**
 * Checks a callback/redirect URL when a verification is created: https (http only where private
 * webhooks are allowed), no user name or password, and no address the webhook guard would refuse
 * at delivery (loopback, private, link-local, reserved), so the tenant hears of it now.
 */
export function checkCallbackUrl(deps: Deps, url: string, field: string): string {
  const problem = webhookUrlProblem(url, deps.config.allowPrivateWebhooks)
  if (problem !== null) throw new DomainError('INVALID_REQUEST_BODY', `${field} ${problem}`)
  return new URL(url).toString()
}

/** Starts a verification (or returns the one an earlier call with the same Idempotency-Key made). */
export async function startVerification(
  deps: Deps,
  tenant: Tenant,
  apiKey: ApiKey,
  input: StartInput,
): Promise<Started> {
  if (input.mockBehavior !== undefined && apiKey.mode !== 'test') {
    throw new DomainError(
      'MOCK_BEHAVIOR_NOT_ALLOWED',
      'mock_behavior needs a test API key (loom_test_…); live keys run real verifications',
    )
  }
  if (
    input.metadata !== undefined &&
    Buffer.byteLength(JSON.stringify(input.metadata)) > MAX_METADATA_BYTES
  ) {
    throw new DomainError(
      'INVALID_REQUEST_BODY',
      `metadata must be at most ${MAX_METADATA_BYTES} bytes as JSON`,
    )
  }
  const workflow = input.workflow ?? null
  let ttlMs = (tenant.dataTtlDays ?? DEFAULT_TTL_DAYS) * 86_400_000
  const timeToLive = input.timeToLive ?? workflow?.timeToLive ?? undefined
  if (timeToLive !== undefined) {
    const parsed = parseTimeToLive(timeToLive)
    if (parsed === null) {
      throw new DomainError(
        'INVALID_REQUEST_BODY',
        'time_to_live must be a duration like "90d", "12h" or "30m", from 10 minutes to 3650 days',
      )
    }
    ttlMs = parsed
  }
  const callbackUrl =
    input.callbackUrl === undefined
      ? null
      : checkCallbackUrl(deps, input.callbackUrl, 'callback_url')
  const now = deps.clock.now()
  const client =
    input.userAgent !== undefined || input.ip !== undefined
      ? { userAgent: input.userAgent ?? null, ip: input.ip ?? null }
      : null
  const id = newId('ver')
  const requestHash = input.idempotencyKey
    ? createHash('sha256')
        .update(canonicalJson({ ...input, apiKeyMode: apiKey.mode }))
        .digest('hex')
    : null
  const mode = input.mode ?? apiKey.mode
  const verificationType = input.verificationType ?? workflow?.verificationType ?? 'age_only'
  const minAge = input.minAge ?? workflow?.minAge ?? 18
  const { verification, created } = await insertVerification(
    deps.store.db,
    {
      id,
      tenantId: tenant.id,
      mode,
      requestRef: input.requestRef ?? null,
      surface: input.surface,
      verificationType,
      minAge,
      workflowId: workflow?.id ?? null,
      settings: workflow ? settingsOf(workflow) : defaultSettings(verificationType),
      applicantSealed:
        input.applicant === undefined
          ? null
          : deps.sealer.seal(JSON.stringify(input.applicant), `applicant:${id}`),
      metadata: input.metadata ?? null,
      callbackUrl,
      state: input.state ?? null,
      externalId: input.externalId ?? null,
      clientSealed:
        client === null ? null : deps.sealer.seal(JSON.stringify(client), `client:${id}`),
      mockBehavior: input.mockBehavior ?? null,
      idempotencyKey: input.idempotencyKey ?? null,
      requestHash,
      expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
      createdAt: now.toISOString(),
    },
    { verificationType, minAge, mode: apiKey.mode },
    async (trx) => {
      // A live verification is one billable unit, counted in the same transaction; test keys
      // never count.
      if (mode === 'live') {
        const { cap, code } = monthlyCap(tenant)
        if ((await countUnit(trx, tenant.id, now, cap)) === null) {
          throw new DomainError(
            code,
            code === 'QUOTA_EXCEEDED'
              ? `Monthly quota of ${cap} verifications reached; it resets on the 1st (UTC)`
              : `Hard limit of ${cap} verifications this month reached`,
          )
        }
      }
      if (input.onCreated) await input.onCreated(trx, { id })
    },
  )
  if (!created && verification.requestHash !== requestHash) {
    throw new DomainError(
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was used with a different request; use a new key for a new verification',
    )
  }
  return { verification, sessionUrl: sessionUrlFor(deps, verification), created }
}

/**
 * A caller's verification, or VERIFICATION_NOT_FOUND (also for other tenants' ids and for the
 * other mode's: a test key never sees a live verification, nor a live key a test one). An open
 * verification whose time to live has passed is marked expired on the way.
 */
export async function loadVerification(
  deps: Deps,
  caller: Caller,
  verificationId: string,
): Promise<Verification> {
  const found = isId('ver', verificationId)
    ? await getVerification(deps.store.db, caller.tenant.id, verificationId)
    : null
  if (found === null || found.mode !== caller.mode)
    throw new DomainError('VERIFICATION_NOT_FOUND', `Verification ${verificationId} not found`)
  return expireIfDue(deps, found)
}

/**
 * The verification a hosted-page link names, in whichever mode it was made: the signed link is
 * the credential, and it names this one verification and nothing else. Null for an unknown id.
 */
export async function loadLinkedVerification(
  deps: Deps,
  tenantId: string,
  verificationId: string,
): Promise<Verification | null> {
  const found = await getVerification(deps.store.db, tenantId, verificationId)
  return found === null ? null : expireIfDue(deps, found)
}

async function expireIfDue(deps: Deps, found: Verification): Promise<Verification> {
  if (isOpen(found.status) && Date.parse(found.expiresAt) <= deps.clock.now().getTime()) {
    return (await expireOne(deps, found.tenantId, found.id)) ?? found
  }
  return found
}

async function expireOne(deps: Deps, tenantId: string, id: string): Promise<Verification | null> {
  const at = deps.clock.now().toISOString()
  return transitionVerification(deps.store.db, tenantId, id, {
    to: 'expired',
    at,
    endReason: 'session_expired',
    event: { type: 'verification.expired', payload: { status: 'expired' } },
  })
}

/**
 * The person left an open verification (the hosted page's Cancel): it becomes `abandoned` with a
 * reason (the sessions API: `user_cancelled`). Refused once it is decided or already closed.
 */
export async function abandonVerification(
  deps: Deps,
  verification: Verification,
  reason: EndReason = 'user_cancelled',
): Promise<Verification> {
  refuseIfClosed(verification)
  const { tenantId, id: verificationId } = verification
  const updated = await transitionVerification(deps.store.db, tenantId, verificationId, {
    to: 'abandoned',
    at: deps.clock.now().toISOString(),
    endReason: reason,
    event: { type: 'verification.abandoned', payload: { status: 'abandoned', reason } },
  })
  if (updated === null) throw alreadyCompleted(verificationId)
  return updated
}

export interface Completed {
  verification: Verification
  token: { token: string; expiresAt: Date } | null
}

/** Records a decision (conditional on the current status: one concurrent caller wins). */
export async function decide(
  deps: Deps,
  tenant: Tenant,
  verification: Verification,
  decision: Decision,
  extras: { personSealed?: string; eventExtras?: Record<string, unknown>; endReason?: string } = {},
): Promise<Completed> {
  // A token is minted only for an approval that clears the minimum age (never for a minor).
  const token =
    decision.status === 'approved' &&
    decision.verifiedAge !== null &&
    decision.verifiedAge >= verification.minAge
      ? await deps.tokens.mint({
          verificationId: verification.id,
          tenantId: tenant.id,
          livemode: verification.mode === 'live',
          method: methodOf(decision),
          verifiedAge: decision.verifiedAge,
          ttlSeconds: tenant.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS,
        })
      : null
  const updated = await transitionVerification(deps.store.db, tenant.id, verification.id, {
    to: decision.status,
    at: deps.clock.now().toISOString(),
    decision,
    ...(extras.personSealed !== undefined && { personSealed: extras.personSealed }),
    ...(extras.endReason !== undefined && { endReason: extras.endReason }),
    ...(token && {
      tokenSealed: deps.sealer.seal(
        JSON.stringify({ token: token.token, expiresAt: token.expiresAt.toISOString() }),
        `token:${verification.id}`,
      ),
    }),
    event: {
      type: 'verification.completed',
      payload: { status: decision.status, result: publicResult(decision), ...extras.eventExtras },
    },
  })
  if (updated === null) throw alreadyCompleted(verification.id)
  return { verification: updated, token }
}

/** The age token minted when the verification was approved, if it is still held. */
export function storedToken(
  deps: Deps,
  verification: Verification,
): { token: string; expiresAt: string } | null {
  if (verification.tokenSealed === null) return null
  return JSON.parse(
    deps.sealer.open(verification.tokenSealed, `token:${verification.id}`).toString('utf8'),
  ) as { token: string; expiresAt: string }
}

function alreadyCompleted(id: string): DomainError {
  return new DomainError(
    'VERIFICATION_ALREADY_COMPLETED',
    `Verification ${id} has already been completed`,
  )
}

function refuseIfClosed(verification: Verification): void {
  if (verification.status === 'expired') {
    throw new DomainError(
      'VERIFICATION_EXPIRED',
      `Verification ${verification.id} expired at ${verification.expiresAt}`,
    )
  }
  if (isFinal(verification.status) || verification.status === 'review')
    throw alreadyCompleted(verification.id)
}

/** /verify/complete: decides a verification whose evidence is in (test mode: its mock behaviour). */
export async function completeVerification(
  deps: Deps,
  caller: Caller,
  verificationId: string,
): Promise<Completed> {
  const verification = await loadVerification(deps, caller, verificationId)
  refuseIfClosed(verification)
  if (verification.mode === 'test') {
    return decide(
      deps,
      caller.tenant,
      verification,
      mockDecision(verification.mockBehavior ?? 'approve', verification.minAge),
    )
  }
  throw new DomainError(
    'VERIFICATION_NOT_READY',
    verification.status === 'in_progress'
      ? 'Not every required image is in yet (see missingImages of the last upload)'
      : 'No document has been submitted for this verification yet: send the person to its sessionUrl first',
  )
}

export interface SubmitInput {
  status: 'approved' | 'rejected'
  verifiedAge?: number | undefined
  reason?: string | undefined
}

/** /verify/submit: the tenant records an outcome (e.g. after its own manual review). */
export async function submitOutcome(
  deps: Deps,
  caller: Caller,
  verificationId: string,
  input: SubmitInput,
): Promise<Completed> {
  const { tenant } = caller
  if (!tenant.submitAllowed) {
    throw new DomainError(
      'SUBMIT_NOT_ALLOWED',
      'This tenant does not record its own outcomes: decisions come from Loom’s checks only (the operator can allow it: submitAllowed)',
    )
  }
  const verification = await loadVerification(deps, caller, verificationId)
  if (verification.status !== 'review') refuseIfClosed(verification)
  const verifiedAge = input.verifiedAge ?? verification.decision?.verifiedAge ?? null
  if (input.status === 'approved' && verifiedAge !== null && verifiedAge < verification.minAge) {
    throw new DomainError(
      'INVALID_REQUEST_BODY',
      `verifiedAge ${verifiedAge} is below this verification's minAge ${verification.minAge}; a minor cannot be approved`,
    )
  }
  const reasons = input.reason
    ? [input.reason]
    : input.status === 'rejected'
      ? ['tenant_decision']
      : []
  // Said in the log as what it is: the tenant's word, not a check Loom made (no personal data).
  deps.logger.info(
    { tenantId: tenant.id, verificationId, status: input.status, method: 'tenant_attested' },
    'tenant-attested decision recorded',
  )
  return decide(deps, tenant, verification, {
    status: input.status,
    reasons,
    confidence: 1,
    verifiedAge,
    decidedBy: 'tenant',
    method: 'tenant_attested',
  })
}

/** What a decision tells the tenant (no personal data). */
export function publicResult(decision: Decision): {
  verified: boolean
  verifiedAge: number | null
  over18: boolean
  reason: string | null
  reasons: string[]
  method: AttestationMethod
} {
  return {
    verified: decision.status === 'approved',
    verifiedAge: decision.verifiedAge,
    over18: decision.verifiedAge !== null && decision.verifiedAge >= 18,
    reason: decision.reasons[0] ?? null,
    reasons: decision.reasons,
    method: methodOf(decision),
  }
}

/** Marks open verifications past their time to live as expired; returns how many. */
export async function expireDueVerifications(deps: Deps, batch = 500): Promise<number> {
  const due = await findExpired(deps.store.db, deps.clock.now().toISOString(), batch)
  let expired = 0
  for (const { id, tenantId } of due) {
    if ((await expireOne(deps, tenantId, id)) !== null) expired += 1
  }
  return expired
}
