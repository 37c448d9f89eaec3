import { type RoleTable, unknownRoles } from '../../auth/roles.js'
import { checkUserFields } from '../../auth/user-fields.js'
import type { NewUser } from '../../store/store.js'
import { passwordHashProblem } from './password-hash-format.js'

/** What a row is checked against and completed with. */
export interface RowContext {
  roles: RoleTable
  /** The creation time every imported user gets. */
  now: string
  newId: () => string
}

export type RowResult = { ok: true; user: NewUser } | { ok: false; reason: string }

/** The keys (JSON Lines) or columns (CSV) a row may have. `hashed_password` is the tutorial's name. */
export const importFields = [
  'id',
  'username',
  'password_hash',
  'hashed_password',
  'email',
  'full_name',
  'disabled',
  'roles',
] as const

/** Why a CSV header cannot be imported (a column unknown or missing), or null. */
export function headerProblem(columns: string[]): string | null {
  const unknown = columns.find((c) => !(importFields as readonly string[]).includes(c))
  if (unknown !== undefined) {
    return `unknown column "${unknown}" (known: ${importFields.join(', ')})`
  }
  if (!columns.includes('username')) return 'no username column'
  if (!columns.includes('password_hash') && !columns.includes('hashed_password')) {
    return 'no password_hash (or hashed_password) column'
  }
  return null
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

class RowError extends Error {}

/**
 * Checks one row of a user import and turns it into the user to insert: username and email
 * checked by the one user-fields check registration uses, the hash one this server can verify, roles defined,
 * unknown fields refused (nothing is silently dropped). Returns the first problem otherwise.
 */
export function validateRow(fields: Record<string, unknown>, context: RowContext): RowResult {
  try {
    return { ok: true, user: toNewUser(fields, context) }
  } catch (error) {
    if (error instanceof RowError) return { ok: false, reason: error.message }
    throw error
  }
}

function toNewUser(fields: Record<string, unknown>, context: RowContext): NewUser {
  const unknown = Object.keys(fields).filter(
    (k) => !(importFields as readonly string[]).includes(k),
  )
  if (unknown.length > 0) {
    // JSON.stringify escapes control characters: a file cannot drive the operator's terminal.
    throw new RowError(
      `unknown field ${JSON.stringify(unknown[0])} (known: ${importFields.join(', ')})`,
    )
  }
  const rawName = text(fields, 'username')
  if (rawName === null) throw new RowError('username is missing')
  const checked = checkUserFields({
    username: rawName,
    email: given(fields, 'email'),
    fullName: given(fields, 'full_name'),
  })
  if (typeof checked === 'string') throw new RowError(checked)
  const passwordHash = hashOf(fields)
  const id = text(fields, 'id')
  if (id !== null && !uuidPattern.test(id)) {
    throw new RowError('id must be a UUID; leave the id out to have one generated')
  }
  return {
    id: id?.toLowerCase() ?? context.newId(),
    ...checked,
    passwordHash,
    disabled: flag(fields.disabled),
    roles: rolesOf(fields.roles, context.roles),
    createdAt: context.now,
  }
}

/**
 * The string value of `key` as given, the empty string included (the user-field rules judge it
 * as /register does), null when absent or JSON null (a database export writes null for a value
 * not set); other types are refused.
 */
function given(fields: Record<string, unknown>, key: string): string | null {
  const value = fields[key]
  if (value === undefined || value === null) return null
  if (typeof value !== 'string') throw new RowError(`${key} must be a string`)
  return value
}

/** The string value of `key`, null when absent, empty or JSON null; other types are refused. */
function text(fields: Record<string, unknown>, key: string): string | null {
  return given(fields, key) || null
}

function hashOf(fields: Record<string, unknown>): string {
  const given = text(fields, 'password_hash')
  const tutorial = text(fields, 'hashed_password')
  if (given !== null && tutorial !== null) {
    throw new RowError('give password_hash or hashed_password, not both')
  }
  const hash = given ?? tutorial
  if (hash === null) throw new RowError('password_hash is missing')
  const problem = passwordHashProblem(hash)
  if (problem) throw new RowError(problem)
  return hash
}

// true/false as JSON booleans or text; 1/0 as SQLite exports booleans.
function flag(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false
  if (value === true || value === 1) return true
  if (value === false || value === 0) return false
  const word = typeof value === 'string' ? value.trim().toLowerCase() : ''
  if (word === 'true' || word === '1') return true
  if (word === 'false' || word === '0') return false
  throw new RowError('disabled must be true or false')
}

function rolesOf(value: unknown, table: RoleTable): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const list = Array.isArray(value)
    ? value
    : typeof value === 'string'
      ? value.split(/[\s,]+/)
      : null
  if (!list?.every((r) => typeof r === 'string')) {
    throw new RowError('roles must be a list of role names')
  }
  const roles = [...new Set(list.filter(Boolean) as string[])]
  if (roles.length === 0) return undefined
  const unknown = unknownRoles(table, roles)
  if (unknown.length > 0) throw new RowError(`unknown roles: ${unknown.join(', ')}`)
  return roles
}
