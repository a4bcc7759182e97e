// Console accounts: tenant users (email + password, optional TOTP, a role), the operator (the
// admin key), sessions kept in the database, and invitations. Session and invitation tokens are
// stored only as hashes; a stolen database gives no way in.
import type { Deps } from '../deps.ts'
import type { Tenant } from '../domain/tenants.ts'
import { getTenant } from '../store/tenants.ts'
import {
  CONSOLE_ROLES,
  endUserSessions,
  deleteConsoleSession,
  findConsoleSession,
  findUsersByEmail,
  findUserByInvite,
  getConsoleUser,
  insertConsoleSession,
  insertConsoleUser,
  listConsoleUsers,
  setPassword,
  setTotpSecret,
  touchConsoleSession,
} from '../store/console.ts'
import type { ConsoleRole, ConsoleSessionRow, ConsoleUser } from '../store/console.ts'
import {
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  hashPassword,
  newSecretToken,
  newTotpSecret,
  sha256,
  totpMatches,
  verifyPassword,
} from './passwords.ts'

export { CONSOLE_ROLES }
export type { ConsoleRole, ConsoleUser }

/** A session lasts at most this long, and ends sooner after this much idle time. */
export const SESSION_MAX_MS = 12 * 3600_000
export const SESSION_IDLE_MS = 30 * 60_000
/** Idle expiry is pushed forward at most this often (one write per minute, not per request). */
const TOUCH_EVERY_MS = 60_000
export const INVITE_TTL_MS = 7 * 86_400_000
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/

export class ConsoleInputError extends Error {
  constructor(
    readonly code:
      | 'email_invalid'
      | 'email_taken'
      | 'password_short'
      | 'password_long'
      | 'role_invalid'
      | 'tenant_unknown',
  ) {
    super(code)
  }
}

/** What a role may do in the console. */
export const PERMISSIONS = {
  /** Names, dates, document numbers, images. */
  personalData: ['owner', 'reviewer'],
  decideReviews: ['owner', 'reviewer'],
  developers: ['owner', 'developer'],
  users: ['owner'],
} as const satisfies Record<string, readonly ConsoleRole[]>
export type Permission = keyof typeof PERMISSIONS

export function may(role: ConsoleRole, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly ConsoleRole[]).includes(role)
}

export type Principal =
  | { kind: 'user'; user: ConsoleUser; tenant: Tenant; session: ConsoleSessionRow }
  | { kind: 'operator'; session: ConsoleSessionRow }

export function normalEmail(email: string): string {
  return email.trim().toLowerCase()
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new ConsoleInputError('password_short')
  if (password.length > MAX_PASSWORD_LENGTH) throw new ConsoleInputError('password_long')
}

export interface CreatedUser {
  user: ConsoleUser
  /** The invitation token (when no password was given): shown or mailed once. */
  inviteToken: string | null
}

/**
 * Adds a user to a tenant: with a password (the first owner, made by the operator), or with an
 * invitation the person accepts by choosing one.
 */
export async function createConsoleUser(
  deps: Deps,
  input: { tenantId: string; email: string; role: string; password?: string | undefined },
): Promise<CreatedUser> {
  const email = normalEmail(input.email)
  if (!EMAIL.test(email)) throw new ConsoleInputError('email_invalid')
  if (!(CONSOLE_ROLES as readonly string[]).includes(input.role))
    throw new ConsoleInputError('role_invalid')
  if ((await getTenant(deps.store.db, input.tenantId)) === null)
    throw new ConsoleInputError('tenant_unknown')
  if (input.password !== undefined) checkPassword(input.password)
  const now = deps.clock.now()
  const inviteToken = input.password === undefined ? newSecretToken() : null
  const user = await insertConsoleUser(
    deps.store.db,
    {
      tenantId: input.tenantId,
      email,
      role: input.role as ConsoleRole,
      passwordHash: input.password === undefined ? null : await hashPassword(input.password),
      inviteHash: inviteToken === null ? null : sha256(inviteToken),
      inviteExpiresAt:
        inviteToken === null ? null : new Date(now.getTime() + INVITE_TTL_MS).toISOString(),
    },
    now.toISOString(),
  )
  if (user === null) throw new ConsoleInputError('email_taken')
  return { user, inviteToken }
}

export function consoleUsers(deps: Deps, tenantId: string): Promise<ConsoleUser[]> {
  return listConsoleUsers(deps.store.db, tenantId)
}

/** The user an open invitation token names, or null (unknown, used or expired). */
export async function invitedUser(deps: Deps, token: string): Promise<ConsoleUser | null> {
  const user = await findUserByInvite(deps.store.db, sha256(token))
  if (user === null || user.inviteExpiresAt === null) return null
  return user.inviteExpiresAt > deps.clock.now().toISOString() ? user : null
}

/** Accepts an invitation: the person chooses a password. */
export async function acceptInvitation(
  deps: Deps,
  token: string,
  password: string,
): Promise<ConsoleUser | null> {
  checkPassword(password)
  const user = await invitedUser(deps, token)
  if (user === null) return null
  await setPassword(deps.store.db, user.id, await hashPassword(password), nowIso(deps))
  return user
}

function nowIso(deps: Deps): string {
  return deps.clock.now().toISOString()
}

export type SignInOutcome =
  | { ok: true; token: string; session: ConsoleSessionRow }
  | { ok: false; reason: 'invalid' | 'totp_required' }
  /** The password opens accounts in several tenants: the person picks one (and signs in again). */
  | { ok: false; reason: 'choose_tenant'; tenants: { id: string; name: string }[] }

/**
 * Signs a tenant user in; the caller counts failures against the address. An email may have an
 * account in several tenants: the password is checked against each, and when it opens more than
 * one the person is asked which (`tenantId`). Nothing is said about accounts the password does
 * not open.
 */
export async function signInUser(
  deps: Deps,
  input: {
    email: string
    password: string
    totp?: string | undefined
    tenantId?: string | undefined
  },
): Promise<SignInOutcome> {
  const accounts = (await findUsersByEmail(deps.store.db, normalEmail(input.email))).filter(
    (user) => !input.tenantId || user.tenantId === input.tenantId,
  )
  const opened: { user: ConsoleUser; tenant: { id: string; name: string } }[] = []
  for (const user of accounts) {
    if (!(await verifyPassword(input.password, user.passwordHash)) || user.disabledAt !== null)
      continue
    const tenant = await getTenant(deps.store.db, user.tenantId)
    if (tenant !== null && tenant.isActive) opened.push({ user, tenant })
  }
  // As long with no account as with one whose password does not match.
  if (accounts.length === 0) await verifyPassword(input.password, null)
  if (opened.length === 0) return { ok: false, reason: 'invalid' }
  if (opened.length > 1) {
    return {
      ok: false,
      reason: 'choose_tenant',
      tenants: opened.map(({ tenant }) => ({ id: tenant.id, name: tenant.name })),
    }
  }
  const { user } = opened[0]!
  if (user.totpSecretSealed !== null) {
    if (input.totp === undefined || input.totp === '') return { ok: false, reason: 'totp_required' }
    const secret = deps.sealer.open(user.totpSecretSealed, `totp:${user.id}`).toString('utf8')
    if (!totpMatches(secret, input.totp, deps.clock.now())) return { ok: false, reason: 'invalid' }
  }
  return { ok: true, ...(await openSession(deps, user.id, user.tenantId)) }
}

/** Opens the operator's session (the admin key was checked by the caller). */
export function signInOperator(deps: Deps): Promise<{ token: string; session: ConsoleSessionRow }> {
  return openSession(deps, null, null)
}

async function openSession(
  deps: Deps,
  userId: string | null,
  tenantId: string | null,
): Promise<{ token: string; session: ConsoleSessionRow }> {
  const token = newSecretToken()
  const now = deps.clock.now()
  const session = await insertConsoleSession(deps.store.db, {
    tokenHash: sha256(token),
    userId,
    tenantId,
    csrfToken: newSecretToken(),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + SESSION_MAX_MS).toISOString(),
    idleExpiresAt: new Date(now.getTime() + SESSION_IDLE_MS).toISOString(),
  })
  return { token, session }
}

/** Who holds a session cookie, or null (unknown, expired, voided, or the account is gone). */
export async function principalOf(deps: Deps, token: string): Promise<Principal | null> {
  const session = await findConsoleSession(deps.store.db, sha256(token))
  if (session === null) return null
  const now = deps.clock.now()
  const nowText = now.toISOString()
  if (session.expiresAt <= nowText || session.idleExpiresAt <= nowText) {
    await deleteConsoleSession(deps.store.db, session.id)
    return null
  }
  const idleUntil = now.getTime() + SESSION_IDLE_MS
  if (idleUntil - Date.parse(session.idleExpiresAt) >= TOUCH_EVERY_MS) {
    const at = new Date(Math.min(idleUntil, Date.parse(session.expiresAt))).toISOString()
    await touchConsoleSession(deps.store.db, session.id, at)
  }
  if (session.userId === null) return { kind: 'operator', session }
  const user = await getConsoleUser(deps.store.db, session.userId)
  if (user === null || user.disabledAt !== null || user.tenantId !== session.tenantId) return null
  if (user.sessionsValidAfter !== null && session.createdAt <= user.sessionsValidAfter) return null
  const tenant = await getTenant(deps.store.db, user.tenantId)
  if (tenant === null || !tenant.isActive) return null
  return { kind: 'user', user, tenant, session }
}

export function signOut(deps: Deps, principal: Principal): Promise<void> {
  return deleteConsoleSession(deps.store.db, principal.session.id)
}

/** Ends every session of the user, on every device. */
export function signOutEverywhere(deps: Deps, user: ConsoleUser): Promise<void> {
  return endUserSessions(deps.store.db, user.id, nowIso(deps))
}

/** A new TOTP secret for a user to add to an authenticator app (not active until confirmed). */
export { newTotpSecret }

/** Turns TOTP on once the user shows a code of `secret`; false when the code does not match. */
export async function enableTotp(
  deps: Deps,
  user: ConsoleUser,
  secret: string,
  code: string,
): Promise<boolean> {
  if (!/^[A-Z2-7]{32}$/.test(secret) || !totpMatches(secret, code, deps.clock.now())) return false
  await setTotpSecret(
    deps.store.db,
    user.id,
    deps.sealer.seal(secret, `totp:${user.id}`),
    nowIso(deps),
  )
  return true
}
