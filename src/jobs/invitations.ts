// Sends invitations (the sessions API): email through SMTP (nodemailer), SMS through an HTTP provider
// (generic JSON, or Twilio's form API). One job per invitation; failures are retried with
// back-off and the invitation shows queued → sent, or failed with a reason that never holds the
// recipient's address.
import type { Deps } from '../deps.ts'
import type { SmsConfig } from '../config.ts'
import type { JobHandler } from './queue.ts'
import { PermanentJobError } from './queue.ts'
import { getInvitation, INVITATION_JOB, recordInvitationAttempt } from '../store/invitations.ts'
import type { Invitation } from '../store/invitations.ts'
import { getVerification } from '../store/verifications.ts'
import { getTenant } from '../store/tenants.ts'
import { isOpen } from '../domain/verification.ts'
import { emailInvitation, smsInvitation } from '../domain/invitations.ts'
import { applicantOf, sessionLinkFor } from '../services/sessions.ts'
import { sendMail } from '../services/mail.ts'

const MAX_ERROR_LENGTH = 300

/** Problems retrying cannot fix: recorded as failed at once. */
class Undeliverable extends PermanentJobError {}

/** The failure in words, with the recipient's address taken out (errors often quote it). */
function scrub(message: string, secrets: string[]): string {
  let out = message
  for (const secret of secrets) if (secret !== '') out = out.replaceAll(secret, '<recipient>')
  return out.replaceAll(/\s+/g, ' ').trim().slice(0, MAX_ERROR_LENGTH)
}

async function sendSms(sms: SmsConfig, to: string, text: string, timeoutMs: number): Promise<void> {
  const headers: Record<string, string> = {}
  if (sms.authorization !== null) headers.authorization = sms.authorization
  let body: string
  if (sms.provider === 'twilio') {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams({ To: to, From: sms.from ?? '', Body: text }).toString()
  } else {
    headers['content-type'] = 'application/json'
    const json = (s: string) => JSON.stringify(s).slice(1, -1)
    body = sms.bodyTemplate
      .replaceAll('{{to}}', json(to))
      .replaceAll('{{from}}', json(sms.from ?? ''))
      .replaceAll('{{body}}', json(text))
  }
  const response = await fetch(sms.url, {
    method: 'POST',
    headers,
    body,
    redirect: 'error',
    signal: AbortSignal.timeout(timeoutMs),
  })
  if (response.ok) return
  const detail = (await response.text().catch(() => '')).slice(0, 200)
  const message = `SMS provider answered ${response.status}${detail ? `: ${detail}` : ''}`
  // A refused request (bad number, bad credentials) stays refused; 408/429/5xx may pass later.
  if (response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status)) {
    throw new Undeliverable(message)
  }
  throw new Error(message)
}

async function deliver(deps: Deps, invitation: Invitation): Promise<void> {
  const verification = await getVerification(
    deps.store.db,
    invitation.tenantId,
    invitation.verificationId,
  )
  if (verification === null || verification.applicantSealed === null) {
    throw new Undeliverable('the session or its applicant data was deleted')
  }
  if (!isOpen(verification.status)) {
    throw new Undeliverable(`the session is already ${verification.status}`)
  }
  const tenant = await getTenant(deps.store.db, invitation.tenantId)
  if (tenant === null) throw new Undeliverable('the tenant no longer exists')
  const applicant = applicantOf(deps, verification)
  if (applicant === null) throw new Undeliverable('the applicant data was deleted')
  const link = sessionLinkFor(deps, verification)
  const values = {
    link: link.url,
    first_name: applicant.firstName,
    tenant: tenant.name,
    expires: `${link.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  }
  const timeoutMs = deps.config.webhookTimeoutMs
  const secrets = [applicant.email, applicant.phone]
  try {
    if (invitation.channel === 'email') {
      const smtp = deps.config.smtp
      if (smtp === null) throw new Undeliverable('email is not configured (LOOM_SMTP_HOST)')
      const message = emailInvitation(verification.settings.invitation, values)
      await sendMail(
        smtp,
        {
          to: { name: `${applicant.firstName} ${applicant.lastName}`, address: applicant.email },
          subject: message.subject,
          text: message.text,
          html: message.html,
        },
        timeoutMs,
      )
    } else {
      const sms = deps.config.sms
      if (sms === null) throw new Undeliverable('SMS is not configured (LOOM_SMS_PROVIDER)')
      await sendSms(
        sms,
        applicant.phone,
        smsInvitation(verification.settings.invitation, values),
        timeoutMs,
      )
    }
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err)
    const scrubbed = scrub(text, secrets)
    if (err instanceof Undeliverable) throw new Undeliverable(scrubbed)
    throw new Error(scrubbed)
  }
}

export const invitationHandler: JobHandler = {
  type: INVITATION_JOB,
  async run(payload, { deps, job }) {
    const id = payload.invitationId
    if (typeof id !== 'string') throw new PermanentJobError('invitation.send needs invitationId')
    const invitation = await getInvitation(deps.store.db, id)
    if (invitation === null || invitation.status === 'sent') return
    try {
      await deliver(deps, invitation)
    } catch (err) {
      const last = err instanceof PermanentJobError || job.attempts >= job.maxAttempts
      await recordInvitationAttempt(deps.store.db, id, {
        status: last ? 'failed' : 'queued',
        error: err instanceof Error ? err.message : String(err),
        at: deps.clock.now().toISOString(),
      })
      throw err
    }
    await recordInvitationAttempt(deps.store.db, id, {
      status: 'sent',
      error: null,
      at: deps.clock.now().toISOString(),
    })
    deps.logger.info({ invitationId: id, channel: invitation.channel }, 'invitation sent')
  },
  // A lease that ran out on the last attempt (the worker died mid-send).
  async onDead(payload, { deps }) {
    const id = payload.invitationId
    if (typeof id !== 'string') return
    const invitation = await getInvitation(deps.store.db, id)
    if (invitation === null || invitation.status !== 'queued') return
    await recordInvitationAttempt(deps.store.db, id, {
      status: 'failed',
      error: invitation.lastError ?? 'every attempt failed',
      at: deps.clock.now().toISOString(),
    })
  },
}
