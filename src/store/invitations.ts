// Invitations (the sessions API): one row per channel of a session, whose status the tenant can read.
// The destination address is not here: it is in the session's sealed applicant data.
import type { Kysely, Selectable, Transaction } from 'kysely'
import type { Database, InvitationTable } from './schema.ts'
import { newSortableId } from '../domain/ids.ts'
import { enqueueJob } from './jobs.ts'

type Db = Kysely<Database> | Transaction<Database>

export const INVITATION_JOB = 'invitation.send'

export type InvitationChannel = 'email' | 'sms'
export type InvitationStatus = 'queued' | 'sent' | 'failed'

export interface Invitation {
  id: string
  tenantId: string
  verificationId: string
  channel: InvitationChannel
  status: InvitationStatus
  attempts: number
  /** Why the last attempt failed, without the recipient's address. */
  lastError: string | null
  sentAt: string | null
  createdAt: string
  updatedAt: string
}

function toInvitation(row: Selectable<InvitationTable>): Invitation {
  return {
    ...row,
    channel: row.channel as InvitationChannel,
    status: row.status as InvitationStatus,
  }
}

/**
 * Records a queued invitation and the job that sends it (pass the session's transaction); with
 * `unsendable`, records it as failed for that reason at once, without a job.
 */
export async function queueInvitation(
  db: Db,
  input: {
    tenantId: string
    verificationId: string
    channel: InvitationChannel
    maxAttempts: number
    now: string
    unsendable?: string | undefined
  },
): Promise<Invitation> {
  const id = newSortableId('inv')
  const row = await db
    .insertInto('invitations')
    .values({
      id,
      tenantId: input.tenantId,
      verificationId: input.verificationId,
      channel: input.channel,
      status: input.unsendable === undefined ? 'queued' : 'failed',
      attempts: 0,
      lastError: input.unsendable ?? null,
      sentAt: null,
      createdAt: input.now,
      updatedAt: input.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  if (input.unsendable !== undefined) return toInvitation(row)
  await enqueueJob(db, {
    type: INVITATION_JOB,
    tenantId: input.tenantId,
    payload: { invitationId: id },
    runAt: input.now,
    maxAttempts: input.maxAttempts,
    now: input.now,
  })
  return toInvitation(row)
}

export async function getInvitation(db: Db, id: string): Promise<Invitation | null> {
  const row = await db.selectFrom('invitations').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toInvitation(row) : null
}

/** The invitations of sessions, oldest first. */
export async function listInvitations(
  db: Db,
  tenantId: string,
  verificationIds: string[],
): Promise<Invitation[]> {
  if (verificationIds.length === 0) return []
  const rows = await db
    .selectFrom('invitations')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where('verificationId', 'in', verificationIds)
    .orderBy('createdAt')
    .orderBy('id')
    .execute()
  return rows.map(toInvitation)
}

/** Records one attempt: sent, failed for good, or failed and still queued for a retry. */
export async function recordInvitationAttempt(
  db: Db,
  id: string,
  outcome: { status: InvitationStatus; error: string | null; at: string },
): Promise<void> {
  await db
    .updateTable('invitations')
    .set((eb) => ({
      status: outcome.status,
      attempts: eb('attempts', '+', 1),
      lastError: outcome.error,
      updatedAt: outcome.at,
      ...(outcome.status === 'sent' && { sentAt: outcome.at }),
    }))
    .where('id', '=', id)
    .where('status', '!=', 'sent')
    .execute()
}
