/**
 * The messages between a cluster's primary and its workers over the IPC channel node:cluster
 * opens (prom-client's metrics requests travel on the same channel with types of their own).
 */

/**
 * Worker → primary, as soon as it runs: asks for its role (the answer to a message sent before
 * the worker listens for messages would be lost).
 */
export interface RoleRequest {
  type: 'portcullis:role?'
}

/** Primary → worker, the answer to RoleRequest: the worker's place in the pool. */
export interface RoleMessage {
  type: 'portcullis:role'
  /** Slot 0 is the housekeeper: the purge and the mail sender run there only. */
  slot: number
}

/** Worker → primary, once its server listens. */
export interface ListeningMessage {
  type: 'portcullis:listening'
  url: string
}

export function isRoleMessage(message: unknown): message is RoleMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as RoleMessage).type === 'portcullis:role' &&
    Number.isInteger((message as RoleMessage).slot)
  )
}

export function isListeningMessage(message: unknown): message is ListeningMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as ListeningMessage).type === 'portcullis:listening' &&
    typeof (message as ListeningMessage).url === 'string'
  )
}

export function isRoleRequest(message: unknown): message is RoleRequest {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as RoleRequest).type === 'portcullis:role?'
  )
}
