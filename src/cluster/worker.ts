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
  const { slot } = await roleFromPrimary()
  const config = loadConfig(env)
  const server = await serve(config, env, false, { housekeeper: slot === 0 })
  // After serve: the metrics the app registers are in the default registry by then.
  if (config.metrics) answerMetricsRequests()
  process.send?.({ type: 'portcullis:listening', url: server.url } satisfies ListeningMessage)
  // Without its primary no connection reaches this worker any more (the primary holds the
  // listening socket): drain what is in flight and exit rather than linger as an orphan.
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
