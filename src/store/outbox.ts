import type { Db } from './sql.js'
import type { OutboxStore } from './store.js'

// PLACEHOLDER until the outbox store lands (replaced before merge into main).
export function outboxStore(_db: Db): OutboxStore {
  const todo = () => Promise.reject(new Error('outbox store not implemented yet'))
  return {
    enqueue: todo,
    claim: todo,
    markSent: todo,
    markFailed: todo,
    status: todo,
    purge: todo,
    page: todo,
    insertRecord: todo,
  }
}
