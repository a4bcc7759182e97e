// Identity sessions: a verification created for a named applicant, with a workflow,
// invitations by email and SMS, and a redirect that tells the tenant's site how it ended.
import type { Deps } from '../deps.ts'
import { DomainError } from '../domain/errors.ts'
import type { ApiKey, Caller, Tenant } from '../domain/tenants.ts'
import type { Workflow } from '../domain/workflows.ts'
import { isId } from '../domain/ids.ts'
import { getWorkflow } from '../store/workflows.ts'
import { listInvitations, queueInvitation } from '../store/invitations.ts'
import type { Invitation, InvitationChannel } from '../store/invitations.ts'
import { getVerification, listVerifications } from '../store/verifications.ts'
import type { Verification } from '../store/verifications.ts'
import type { Applicant } from './verifications.ts'
import {
  loadVerification,
  sessionLinkExpiry,
  sessionUrlFor,
  startVerification,
} from './verifications.ts'

export type { Invitation } from '../store/invitations.ts'

export interface SessionInput {
  applicant: Applicant
  externalId?: string | undefined
  sendEmailInvite?: boolean | undefined
  sendPhoneInvite?: boolean | undefined
  workflowId?: string | undefined
  redirectUrl?: string | undefined
  state?: string | undefined
  metadata?: Record<string, unknown> | undefined
  idempotencyKey?: string | undefined
}

export interface CreatedSession {
  verification: Verification
  invitations: Invitation[]
}

/** The redirect must be a valid https URL (no credentials, no other scheme). */
export function checkRedirectUrl(value: string, field: string): string {
  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    throw new DomainError('INVALID_REQUEST_BODY', `${field} is not a valid URL`)
  }
  if (parsed.protocol !== 'https:') {
    throw new DomainError('INVALID_REQUEST_BODY', `${field} must be an https:// URL`)
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new DomainError(
      'INVALID_REQUEST_BODY',
      `${field} must not contain a user name or password`,
    )
  }
  return parsed.toString()
}

/** One of the tenant's workflows, or WORKFLOW_NOT_FOUND (also for other tenants' ids). */
export async function findWorkflow(
  deps: Deps,
  tenant: Tenant,
  workflowId: string,
): Promise<Workflow> {
  const found = isId('wf', workflowId)
    ? await getWorkflow(deps.store.db, tenant.id, workflowId)
    : null
  if (found === null)
    throw new DomainError('WORKFLOW_NOT_FOUND', `Workflow ${workflowId} not found`)
  return found
}

/** The workflow a session runs: the one named, else the tenant's default, else none. */
async function workflowFor(
  deps: Deps,
  tenant: Tenant,
  workflowId: string | undefined,
): Promise<Workflow | null> {
  if (workflowId !== undefined) return findWorkflow(deps, tenant, workflowId)
  if (tenant.defaultWorkflowId === null) return null
  return getWorkflow(deps.store.db, tenant.id, tenant.defaultWorkflowId)
}

/** Creates a session and queues its invitations in the same transaction. */
export async function createSession(
  deps: Deps,
  tenant: Tenant,
  apiKey: ApiKey,
  input: SessionInput,
): Promise<CreatedSession> {
  const redirectUrl =
    input.redirectUrl === undefined
      ? undefined
      : checkRedirectUrl(input.redirectUrl, 'redirect_url')
  const workflow = await workflowFor(deps, tenant, input.workflowId)
  // Invitations default to on (as the sessions API documents), except with a test key: tests send nothing unless asked.
  const live = apiKey.mode === 'live'
  const channels: InvitationChannel[] = []
  if (input.sendEmailInvite ?? live) channels.push('email')
  if (input.sendPhoneInvite ?? live) channels.push('sms')
  const now = deps.clock.now().toISOString()
  const invitations: Invitation[] = []
  const { verification } = await startVerification(deps, tenant, apiKey, {
    surface: 'sessions',
    workflow,
    applicant: input.applicant,
    externalId: input.externalId,
    callbackUrl: redirectUrl,
    state: input.state,
    metadata: input.metadata,
    idempotencyKey: input.idempotencyKey,
    async onCreated(trx, created) {
      for (const channel of channels) {
        invitations.push(
          await queueInvitation(trx, {
            tenantId: tenant.id,
            verificationId: created.id,
            channel,
            maxAttempts: deps.config.invitationMaxAttempts,
            now,
            unsendable: notConfigured(deps, channel),
          }),
        )
      }
    },
  })
  return {
    verification,
    invitations:
      invitations.length > 0
        ? invitations
        : await listInvitations(deps.store.db, tenant.id, [verification.id]),
  }
}

/** Why a channel cannot send on this server (shown on the invitation), or undefined. */
function notConfigured(deps: Deps, channel: InvitationChannel): string | undefined {
  if (channel === 'email' && deps.config.smtp === null) {
    return 'email is not configured on this Loom server (LOOM_SMTP_HOST)'
  }
  if (channel === 'sms' && deps.config.sms === null) {
    return 'SMS is not configured on this Loom server (LOOM_SMS_PROVIDER)'
  }
  return undefined
}

/** The applicant of a session, or null (none, or purged). */
export function applicantOf(deps: Deps, verification: Verification): Applicant | null {
  if (verification.applicantSealed === null) return null
  return JSON.parse(
    deps.sealer.open(verification.applicantSealed, `applicant:${verification.id}`).toString('utf8'),
  ) as Applicant
}

/**
 * The link a person opens (with the redirect URL encoded into it when one was given).
 * The hosted page redirects only to the URL stored with the session, never to the one in the
 * link, so editing the link cannot make Loom an open redirect.
 */
export function sessionLinkFor(
  deps: Deps,
  verification: Verification,
): { url: string; expiresAt: Date } {
  const base = sessionUrlFor(deps, verification)
  const url =
    verification.callbackUrl === null
      ? base
      : `${base}?redirect_url=${encodeURIComponent(verification.callbackUrl)}`
  return { url, expiresAt: sessionLinkExpiry(verification) }
}

/** A caller's session (a verification created for an applicant), or VERIFICATION_NOT_FOUND. */
export async function loadSession(deps: Deps, caller: Caller, id: string): Promise<Verification> {
  const found = await loadVerification(deps, caller, id)
  if (found.surface !== 'sessions') {
    throw new DomainError('VERIFICATION_NOT_FOUND', `Session ${id} not found`)
  }
  return found
}

/** The invitations of some of a tenant's sessions. */
export async function invitationsOf(
  deps: Deps,
  tenantId: string,
  verificationIds: string[],
): Promise<Invitation[]> {
  return listInvitations(deps.store.db, tenantId, verificationIds)
}

export interface SessionPage {
  sessions: Verification[]
  invitations: Invitation[]
  hasMore: boolean
}

/** A page of the caller's sessions, newest first, optionally those of one external id. */
export async function listSessions(
  deps: Deps,
  caller: Caller,
  options: { externalId?: string | undefined; startingAfter?: string | undefined; limit: number },
): Promise<SessionPage> {
  const tenantId = caller.tenant.id
  let after: Verification | undefined
  if (options.startingAfter !== undefined) {
    const found = isId('ver', options.startingAfter)
      ? await getVerification(deps.store.db, tenantId, options.startingAfter)
      : null
    if (found === null || found.mode !== caller.mode) {
      throw new DomainError(
        'INVALID_PARAMETERS',
        `starting_after: no session ${options.startingAfter}`,
      )
    }
    after = found
  }
  const rows = await listVerifications(deps.store.db, tenantId, {
    mode: caller.mode,
    surface: 'sessions',
    ...(options.externalId !== undefined && { externalId: options.externalId }),
    ...(after !== undefined && { after }),
    limit: options.limit + 1,
  })
  const sessions = rows.slice(0, options.limit)
  return {
    sessions,
    invitations: await invitationsOf(
      deps,
      tenantId,
      sessions.map((v) => v.id),
    ),
    hasMore: rows.length > options.limit,
  }
}
