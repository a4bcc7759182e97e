// A tenant's workflows: reusable verification settings, one of them possibly the default. A
// session freezes its workflow's settings when it is created, so edits and deletions here never
// change a session already sent to someone.
import type { Deps } from '../deps.ts'
import { DomainError } from '../domain/errors.ts'
import { isId } from '../domain/ids.ts'
import { DEFAULT_RETRY_POLICY } from '../domain/retry.ts'
import { DEFAULT_AGE_BUFFER } from '../domain/workflows.ts'
import type { Workflow } from '../domain/workflows.ts'
import { getTenant } from '../store/tenants.ts'
import {
  deleteWorkflow,
  getWorkflow,
  insertWorkflow,
  listWorkflows,
  setDefaultWorkflow,
  updateWorkflow,
} from '../store/workflows.ts'
import type { WorkflowFields } from '../store/workflows.ts'

export type { WorkflowFields } from '../store/workflows.ts'

/** The id of the tenant's default workflow, if it has one. */
export async function defaultWorkflowId(deps: Deps, tenantId: string): Promise<string | null> {
  return (await getTenant(deps.store.db, tenantId))?.defaultWorkflowId ?? null
}

/** The tenant's workflow, or a 404 (also for another tenant's). */
export async function workflowOf(deps: Deps, tenantId: string, id: string): Promise<Workflow> {
  const found = isId('wf', id) ? await getWorkflow(deps.store.db, tenantId, id) : null
  if (found === null) throw new DomainError('WORKFLOW_NOT_FOUND', `Workflow ${id} not found`)
  return found
}

/** Every workflow of the tenant, oldest first, and which one is the default. */
export async function workflowsOf(
  deps: Deps,
  tenantId: string,
): Promise<{ workflows: Workflow[]; defaultId: string | null }> {
  const [workflows, defaultId] = await Promise.all([
    listWorkflows(deps.store.db, tenantId),
    defaultWorkflowId(deps, tenantId),
  ])
  return { workflows, defaultId }
}

/** Creates a workflow; what the caller leaves out takes the usual defaults. */
export async function createWorkflow(
  deps: Deps,
  tenantId: string,
  name: string,
  fields: Partial<WorkflowFields>,
): Promise<Workflow> {
  const type = fields.verificationType ?? 'age_only'
  return insertWorkflow(
    deps.store.db,
    tenantId,
    {
      name,
      verificationType: type,
      minAge: fields.minAge ?? 18,
      ageBuffer: fields.ageBuffer ?? DEFAULT_AGE_BUFFER,
      acceptedDocumentTypes: fields.acceptedDocumentTypes ?? null,
      acceptedCountries: fields.acceptedCountries ?? null,
      requireSelfie: fields.requireSelfie ?? type === 'full_verification',
      timeToLive: fields.timeToLive ?? null,
      invitation: fields.invitation ?? { emailSubject: null, emailBody: null, smsBody: null },
      retryPolicy: fields.retryPolicy ?? DEFAULT_RETRY_POLICY,
    },
    deps.clock.now(),
  )
}

/** Changes a workflow the caller has read (sessions already created keep their settings). */
export async function changeWorkflow(
  deps: Deps,
  tenantId: string,
  current: Workflow,
  fields: Partial<WorkflowFields>,
): Promise<Workflow> {
  // A full verification always compares a selfie with the document.
  const type = fields.verificationType ?? current.verificationType
  const change = type === 'full_verification' ? { ...fields, requireSelfie: true } : fields
  const updated = await updateWorkflow(
    deps.store.db,
    tenantId,
    current.id,
    change,
    deps.clock.now(),
  )
  if (updated === null)
    throw new DomainError('WORKFLOW_NOT_FOUND', `Workflow ${current.id} not found`)
  return updated
}

/**
 * Makes a workflow the default (true), or stops it being the default (false, only if it is);
 * undefined leaves the default alone.
 */
export async function markDefault(
  deps: Deps,
  tenantId: string,
  id: string,
  isDefault: boolean | undefined,
): Promise<void> {
  const { store, clock } = deps
  if (isDefault === true) await setDefaultWorkflow(store.db, tenantId, id, clock.now())
  if (isDefault === false && (await defaultWorkflowId(deps, tenantId)) === id) {
    await setDefaultWorkflow(store.db, tenantId, null, clock.now())
  }
}

/** Deletes a workflow, or a 404. */
export async function removeWorkflow(deps: Deps, tenantId: string, id: string): Promise<void> {
  await workflowOf(deps, tenantId, id)
  await deleteWorkflow(deps.store.db, tenantId, id, deps.clock.now())
}
