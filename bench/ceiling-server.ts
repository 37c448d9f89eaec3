// Child process entry: the ceiling, a bare node:http server answering the /users/me body.
// BENCH_PORT is where to listen; BENCH_BODY is the JSON of a real /users/me answer.
import { createServer } from 'node:http'

const port = Number(process.env.BENCH_PORT)
const user: unknown = JSON.parse(process.env.BENCH_BODY ?? '{}')

createServer((_request, response) => {
  // Stringified per request, as Portcullis serializes per request.
  const body = JSON.stringify(user)
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  })
  response.end(body)
}).listen(port, '127.0.0.1')

process.on('SIGTERM', () => process.exit(0))
