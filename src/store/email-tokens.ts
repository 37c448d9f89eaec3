import type { Db } from './sql.js'
import type { EmailTokenStore } from './store.js'

// PLACEHOLDER until the email-token store lands (replaced before merge into main).
export function emailTokensStore(_db: Db): EmailTokenStore {
  const todo = () => Promise.reject(new Error('email token store not implemented yet'))
  return {
    issue: todo,
    find: todo,
    redeem: todo,
    voidForUser: todo,
    purge: todo,
    page: todo,
    insertRecord: todo,
  }
}
