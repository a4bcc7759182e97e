// A tenant's workflows (the sessions API). Every query is scoped by tenant: another tenant's workflow id
// is as unknown as a made-up one.
import type { Kysely, Selectable, Transaction } from 'kysely'
import type { Database, WorkflowTable } from './schema.ts'
import type { DocumentType } from '../engine/types.ts'
import type { VerificationType } from '../domain/verification.ts'
import type { InvitationTexts, Workflow } from '../domain/workflows.ts'
import { newSortableId } from '../domain/ids.ts'
import { DEFAULT_RETRY_POLICY } from '../domain/retry.ts'
import type { RetryPolicy } from '../domain/retry.ts'

type Db = Kysely<Database> | Transaction<Database>

const NO_TEXTS: InvitationTexts = { emailSubject: null, emailBody: null, smsBody: null }

function toWorkflow(row: Selectable<WorkflowTable>): Workflow {
  return {
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    verificationType: row.verificationType as VerificationType,
    minAge: row.minAge,
    ageBuffer: row.ageBuffer,
    acceptedDocumentTypes:
      row.acceptedDocumentTypes === null
        ? null
        : (JSON.parse(row.acceptedDocumentTypes) as DocumentType[]),
    acceptedCountries:
      row.acceptedCountries === null ? null : (JSON.parse(row.acceptedCountries) as string[]),
    requireSelfie: row.requireSelfie === 1,
    retryPolicy:
      row.retryPolicy === null
        ? DEFAULT_RETRY_POLICY
        : { ...DEFAULT_RETRY_POLICY, ...(JSON.parse(row.retryPolicy) as Partial<RetryPolicy>) },
    timeToLive: row.timeToLive,
    invitation:
      row.invitation === null ? NO_TEXTS : (JSON.parse(row.invitation) as InvitationTexts),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

export type WorkflowFields = Omit<Workflow, 'id' | 'tenantId' | 'createdAt' | 'updatedAt'>

function columns(fields: Partial<WorkflowFields>) {
  return {
    ...(fields.name !== undefined && { name: fields.name }),
    ...(fields.verificationType !== undefined && { verificationType: fields.verificationType }),
    ...(fields.minAge !== undefined && { minAge: fields.minAge }),
    ...(fields.ageBuffer !== undefined && { ageBuffer: fields.ageBuffer }),
    ...(fields.acceptedDocumentTypes !== undefined && {
      acceptedDocumentTypes:
        fields.acceptedDocumentTypes === null ? null : JSON.stringify(fields.acceptedDocumentTypes),
    }),
    ...(fields.acceptedCountries !== undefined && {
      acceptedCountries:
        fields.acceptedCountries === null ? null : JSON.stringify(fields.acceptedCountries),
    }),
    ...(fields.requireSelfie !== undefined && { requireSelfie: fields.requireSelfie ? 1 : 0 }),
    ...(fields.timeToLive !== undefined && { timeToLive: fields.timeToLive }),
    ...(fields.retryPolicy !== undefined && { retryPolicy: JSON.stringify(fields.retryPolicy) }),
    ...(fields.invitation !== undefined && { invitation: JSON.stringify(fields.invitation) }),
  }
}

export async function insertWorkflow(
  db: Db,
  tenantId: string,
  fields: WorkflowFields,
  now: Date,
): Promise<Workflow> {
  const at = now.toISOString()
  const row = await db
    .insertInto('workflows')
    .values({
      id: newSortableId('wf'),
      tenantId,
      name: fields.name,
      verificationType: fields.verificationType,
      minAge: fields.minAge,
      ageBuffer: fields.ageBuffer,
      acceptedDocumentTypes:
        fields.acceptedDocumentTypes === null ? null : JSON.stringify(fields.acceptedDocumentTypes),
      acceptedCountries:
        fields.acceptedCountries === null ? null : JSON.stringify(fields.acceptedCountries),
      requireSelfie: fields.requireSelfie ? 1 : 0,
      timeToLive: fields.timeToLive,
      invitation: JSON.stringify(fields.invitation),
      retryPolicy: JSON.stringify(fields.retryPolicy),
      createdAt: at,
      updatedAt: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toWorkflow(row)
}

export async function getWorkflow(db: Db, tenantId: string, id: string): Promise<Workflow | null> {
  const row = await db
    .selectFrom('workflows')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? toWorkflow(row) : null
}

/** A tenant's workflows, oldest first. */
export async function listWorkflows(db: Db, tenantId: string): Promise<Workflow[]> {
  const rows = await db
    .selectFrom('workflows')
    .selectAll()
    .where('tenantId', '=', tenantId)
    .orderBy('createdAt')
    .orderBy('id')
    .execute()
  return rows.map(toWorkflow)
}

export async function updateWorkflow(
  db: Db,
  tenantId: string,
  id: string,
  patch: Partial<WorkflowFields>,
  now: Date,
): Promise<Workflow | null> {
  const row = await db
    .updateTable('workflows')
    .set({ ...columns(patch), updatedAt: now.toISOString() })
    .where('tenantId', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
  return row ? toWorkflow(row) : null
}

/** Deletes a workflow (sessions keep their snapshot); clears it as the tenant's default. */
export async function deleteWorkflow(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
  now: Date,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const deleted = await trx
      .deleteFrom('workflows')
      .where('tenantId', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst()
    if (Number(deleted.numDeletedRows) === 0) return false
    await trx
      .updateTable('tenants')
      .set({ defaultWorkflowId: null, updatedAt: now.toISOString() })
      .where('id', '=', tenantId)
      .where('defaultWorkflowId', '=', id)
      .execute()
    return true
  })
}

/** Makes a workflow the tenant's default (or clears the default with null). */
export async function setDefaultWorkflow(
  db: Db,
  tenantId: string,
  workflowId: string | null,
  now: Date,
): Promise<void> {
  await db
    .updateTable('tenants')
    .set({ defaultWorkflowId: workflowId, updatedAt: now.toISOString() })
    .where('id', '=', tenantId)
    .execute()
}
