import type { NewUser, UserRecord } from './store.js'

// Roles, grant types and scopes are stored as space-separated text in both engines.

const item = /^[^\s]+$/

/**
 * The stored text of a list (roles, grant types, scopes). Throws RangeError on an empty or
 * whitespace-containing item, which the encoding could not give back.
 */
export function encodeList(items: readonly string[]): string {
  for (const i of items) if (!item.test(i)) throw new RangeError(`invalid list item "${i}"`)
  return items.join(' ')
}

/** The list that `encodeList` stored as `text`. */
export function decodeList(text: string): string[] {
  return text === '' ? [] : text.split(' ')
}

/** The stored text of a user's roles; throws RangeError when there is none (never empty). */
export function encodeRoles(roles: readonly string[]): string {
  if (roles.length === 0) throw new RangeError('a user has at least one role')
  return encodeList(roles)
}

/** The record `users.create` and `users.importMany` store for `user`, defaults filled in. */
export function newUserRecord(user: NewUser): UserRecord {
  return {
    ...user,
    roles: user.roles ?? ['user'],
    disabled: user.disabled ?? false,
    updatedAt: user.createdAt,
  }
}
