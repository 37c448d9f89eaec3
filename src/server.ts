import { KeySealError } from './auth/key-sealer.js'
import { ConfigError } from './config.js'
import { loadDotEnv } from './dot-env.js'
import { runServer } from './server-main.js'

// The process entry of `npm start`; `portcullis serve` runs the same runServer.
loadDotEnv()
runServer().then(
  (server) => server.closed.then((code) => process.exit(code)),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`portcullis: configuration error: ${error.message}`)
    } else if (error instanceof KeySealError) {
      console.error(`portcullis: cannot open the stored keys: ${error.message}`)
    } else {
      console.error('portcullis: failed to start:', error)
    }
    process.exit(1)
  },
)
