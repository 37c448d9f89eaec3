import type { OutboxRecord, Store } from '../../src/store/store.js'

/** Every message in the outbox, oldest first (what the app enqueued, sent or not). */
export async function outboxMessages(store: Pick<Store, 'outbox'>): Promise<OutboxRecord[]> {
  const all: OutboxRecord[] = []
  for (;;) {
    const page = await store.outbox.page(all.at(-1)?.id ?? null, 100)
    all.push(...page)
    if (page.length < 100) return all
  }
}

/** The messages of `kind` to `recipient`, oldest first. */
export async function messagesTo(
  store: Pick<Store, 'outbox'>,
  recipient: string,
  kind?: string,
): Promise<OutboxRecord[]> {
  return (await outboxMessages(store)).filter(
    (m) => m.recipient === recipient && (kind === undefined || m.kind === kind),
  )
}

/** The token of a link's fragment (`…#token=…`) in a message's plain-text body. */
export function linkToken(message: Pick<OutboxRecord, 'textBody'>): string {
  const match = /#token=([A-Za-z0-9_%-]+)/.exec(message.textBody)
  if (!match?.[1]) throw new Error(`no #token= link in: ${message.textBody}`)
  return decodeURIComponent(match[1])
}

/** The token of the newest message of `kind` to `recipient`; throws when there is none. */
export async function latestToken(
  store: Pick<Store, 'outbox'>,
  recipient: string,
  kind: string,
): Promise<string> {
  const message = (await messagesTo(store, recipient, kind)).at(-1)
  if (!message) throw new Error(`no ${kind} message to ${recipient}`)
  return linkToken(message)
}
