import { loadConfig } from '../config.js'
import { serve } from '../server-main.js'
import {
  isRoleMessage,
  type ListeningMessage,
  type RoleMessage,
  type RoleRequest,
} from './messages.js'
import { answerMetricsRequests } from './metrics.js'

/**
 * A cluster worker: asks the primary for its slot, serves the port (the primary already did the
 * one-time start-up work), tells the primary it listens, and resolves with the exit code once
 * SIGTERM or SIGINT (or the primary going away) has drained and closed it.
 */
export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const config = loadConfig(env)
  // Before serving: the primary asks every connected worker at each scrape, and one that does
  // not answer fails the scrape; the registry is read when asked, so a starting worker answers
  // what it has so far.
  if (config.metrics) answerMetricsRequests()
  const { slot } = await roleFromPrimary()
  const server = await serve(config, env, false, { housekeeper: slot === 0 })
  process.send?.({ type: 'portcullis:listening', url: server.url } satisfies ListeningMessage)
  // Without its primary no connection reaches this worker any more (the primary holds the
  // listening socket): drain what is in flight and exit rather than linger as an orphan. Node's
  // own cluster handler would exit at once, cutting the requests in flight, so it goes first.
  process.removeAllListeners('disconnect')
  process.once('disconnect', () => server.shutdown('primary gone'))
  return server.closed
}

function roleFromPrimary(): Promise<RoleMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (!isRoleMessage(message)) return
      done()
      resolve(message)
    }
    const onDisconnect = () => {
      done()
      reject(new Error('the primary went away before giving this worker its role'))
    }
    const done = () => {
      process.off('message', onMessage)
      process.off('disconnect', onDisconnect)
    }
    process.on('message', onMessage)
    process.once('disconnect', onDisconnect)
    if (!process.send) return onDisconnect()
    process.send({ type: 'portcullis:role?' } satisfies RoleRequest)
  })
}
