import { cliActor } from '../auth/audit.js'
import { grantTypes } from '../auth/clients.js'
import { type CliIo, type Command, printLines, println } from './command.js'
import { listOption, optionalString, requiredString } from './options.js'
import { formatTable } from './table.js'

/** Prints a secret on stdout (for capture) and, on stderr, that it is shown only now. */
function showSecret(io: CliIo, secret: string) {
  println(io.stdout, `client_secret: ${secret}`)
  println(
    io.stderr,
    'Store this secret now: only its hash is kept, and it cannot be shown again (rotate-secret makes a new one).',
  )
}

const createCommand: Command = {
  name: 'clients create',
  summary: 'register an OAuth client; prints its secret once',
  help: `usage: portcullis clients create --name NAME --grant-types G[,G…] [--scopes "S S…"]
                                 [--id CLIENT_ID] [--public] [--introspect]

Registers a client (RFC 6749 §2) and prints its client_id and, for a confidential client, its
secret, once: only a hash of it is stored.

options:
  --name NAME          required; shown to admins
  --grant-types G,G    required; some of ${grantTypes.join(', ')}
  --scopes "S S"       the most its tokens may carry; scopes this server offers
  --id CLIENT_ID       the client_id (1-64 of A-Z a-z 0-9 . _ ~ -); generated when omitted
  --public             a public client (no secret), e.g. a browser or mobile app;
                       it cannot use client_credentials
  --introspect         allow the client to call POST /introspect`,
  options: {
    name: { type: 'string' },
    id: { type: 'string' },
    public: { type: 'boolean' },
    'grant-types': { type: 'string' },
    scopes: { type: 'string' },
    introspect: { type: 'boolean' },
  },
  needs: 'services',
  async run({ values, services, io }) {
    const name = requiredString(values, 'name')
    requiredString(values, 'grant-types')
    const { client, secret } = await services.clients.create(
      {
        id: optionalString(values, 'id'),
        name,
        confidential: !values.public,
        grantTypes: listOption(values, 'grant-types'),
        scopes: listOption(values, 'scopes'),
        introspect: values.introspect === true,
      },
      cliActor,
    )
    println(io.stdout, `client_id: ${client.id}`)
    if (secret) showSecret(io, secret)
    return 0
  },
}

const listCommand: Command = {
  name: 'clients list',
  summary: 'list the registered clients',
  help: `usage: portcullis clients list

Prints every registered client: id, name, type, grant types, scopes and whether it may
introspect. Secrets are never shown (only their hashes are stored).`,
  needs: 'services',
  async run({ services, io }) {
    const clients = await services.clients.list()
    if (clients.length === 0) {
      println(io.stderr, 'no clients registered')
      return 0
    }
    const rows = clients.map((c) => [
      c.id,
      c.name,
      c.secretHash ? 'confidential' : 'public',
      c.grantTypes.join(','),
      c.scopes.join(' '),
      c.introspect ? 'yes' : 'no',
      c.createdAt,
    ])
    const header = ['CLIENT_ID', 'NAME', 'TYPE', 'GRANTS', 'SCOPES', 'INTROSPECT', 'CREATED']
    printLines(io.stdout, formatTable(header, rows))
    return 0
  },
}

const deleteCommand: Command = {
  name: 'clients delete',
  summary: 'delete a client and end the sessions started through it',
  help: `usage: portcullis clients delete CLIENT_ID

Deletes the client; every session started through it ends, so its refresh tokens stop working.`,
  args: ['CLIENT_ID'],
  needs: 'services',
  async run({ positionals, services, io }) {
    const id = positionals[0] ?? ''
    await services.clients.delete(id, cliActor)
    println(io.stdout, `deleted client ${id}`)
    return 0
  },
}

const rotateCommand: Command = {
  name: 'clients rotate-secret',
  summary: "replace a confidential client's secret; prints it once",
  help: `usage: portcullis clients rotate-secret CLIENT_ID

Replaces the client's secret and prints the new one, once. The old secret stops working at once.`,
  args: ['CLIENT_ID'],
  needs: 'services',
  async run({ positionals, services, io }) {
    showSecret(io, await services.clients.rotateSecret(positionals[0] ?? '', cliActor))
    return 0
  },
}

export const clientCommands = [createCommand, listCommand, deleteCommand, rotateCommand]
