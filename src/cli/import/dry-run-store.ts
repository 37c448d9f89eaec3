import type { NewUser, UserStore } from '../../store/store.js'

type Lookups = Pick<UserStore, 'findById' | 'findByUsername' | 'findByEmail'>

/**
 * An `importMany` that writes nothing and answers as the real one would: a user is skipped when
 * its id, username or canonical email is taken, in the store or by a row this dry run would
 * have imported before it (a skipped row claims nothing, as in a real run).
 */
export function dryRunImporter(store: Lookups): Pick<UserStore, 'importMany'> {
  const ids = new Set<string>()
  const usernames = new Set<string>()
  const emails = new Set<string>()
  const taken = async (u: NewUser) =>
    ids.has(u.id) ||
    usernames.has(u.username) ||
    (u.emailCanonical !== null && emails.has(u.emailCanonical)) ||
    (await store.findById(u.id)) !== null ||
    (await store.findByUsername(u.username)) !== null ||
    (u.emailCanonical !== null && (await store.findByEmail(u.emailCanonical)) !== null)
  return {
    async importMany(users) {
      const inserted: boolean[] = []
      for (const u of users) {
        const skip = await taken(u)
        if (!skip) {
          ids.add(u.id)
          usernames.add(u.username)
          if (u.emailCanonical !== null) emails.add(u.emailCanonical)
        }
        inserted.push(!skip)
      }
      return inserted
    },
  }
}
