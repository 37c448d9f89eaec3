import { KeySealError } from '../auth/key-sealer.js'
import { ConfigError } from '../config.js'
import { runWorker } from './worker.js'

// The script node:cluster forks for each worker (src/cluster/primary.ts); the environment,
// `.env` included, is the primary's.
runWorker().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const detail = error instanceof ConfigError || error instanceof KeySealError
    console.error('portcullis: worker failed to start:', detail ? error.message : error)
    process.exit(1)
  },
)
