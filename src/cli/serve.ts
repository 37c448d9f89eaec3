import { runServer } from '../server-main.js'
import type { Command } from './command.js'

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the server (as `npm start` does)',
  help: `usage: portcullis serve

Runs the HTTP server with the PORTCULLIS_* settings until SIGINT or SIGTERM, then closes
gracefully. When PORTCULLIS_BOOTSTRAP_ADMIN_USERNAME and PORTCULLIS_BOOTSTRAP_ADMIN_PASSWORD
are set and no user has that username, it first creates that admin. With PORTCULLIS_WORKERS
above 1 it runs that many worker processes on the port and drains them all on SIGTERM.`,
  needs: 'nothing',
  async run() {
    const server = await runServer()
    return server.closed
  },
}
