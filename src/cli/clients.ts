import { cliActor } from '../auth/audit.js'
import { grantTypes } from '../auth/clients.js'
import { ApiError } from '../errors.js'
import { type CliIo, type Command, printLines, println } from './command.js'
import { listOption, optionalString, repeatedOption, requiredString } from './options.js'
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
                                 [--redirect-uri URI]… [--post-logout-redirect-uri URI]…
                                 [--first-party] [--resource URI]

Registers a client (RFC 6749 §2) and prints its client_id and, for a confidential client, its
secret, once: only a hash of it is stored.

options:
  --name NAME          required; shown to admins
  --grant-types G,G    required; some of ${grantTypes.join(', ')}
  --scopes "S S"       the most its tokens may carry; scopes this server offers
  --id CLIENT_ID       the client_id (1-64 of A-Z a-z 0-9 . _ ~ -); generated when omitted
  --public             a public client (no secret), e.g. a browser or mobile app;
                       it cannot use client_credentials
  --introspect         allow the client to call POST /introspect
  --redirect-uri URI   repeatable; where /authorize may send the user back, compared as an
                       exact string: https, or http only for 127.0.0.1, [::1] or localhost;
                       no fragment, userinfo or wildcard. authorization_code needs one
  --post-logout-redirect-uri URI
                       repeatable; where logout may send the user back (the same rules)
  --first-party        skip the consent page (you vouch for the client)
  --resource URI       the API it serves (one of PORTCULLIS_RESOURCES): POST /introspect
                       tells it only about tokens for that API`,
  options: {
    name: { type: 'string' },
    id: { type: 'string' },
    public: { type: 'boolean' },
    'grant-types': { type: 'string' },
    scopes: { type: 'string' },
    introspect: { type: 'boolean' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    'first-party': { type: 'boolean' },
    resource: { type: 'string' },
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
        redirectUris: repeatedOption(values, 'redirect-uri'),
        postLogoutRedirectUris: repeatedOption(values, 'post-logout-redirect-uri'),
        firstParty: values['first-party'] === true,
        resource: optionalString(values, 'resource') ?? null,
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

Prints every registered client: id, name, type, grant types, scopes, whether it may
introspect and is first-party, and its redirect URIs (clients show prints the rest).
Secrets are never shown (only their hashes are stored).`,
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
      c.firstParty ? 'yes' : 'no',
      c.createdAt,
      c.redirectUris.join(' '),
    ])
    const header = [
      ...['CLIENT_ID', 'NAME', 'TYPE', 'GRANTS', 'SCOPES', 'INTROSPECT', 'FIRST_PARTY'],
      ...['CREATED', 'REDIRECT_URIS'],
    ]
    printLines(io.stdout, formatTable(header, rows))
    return 0
  },
}

const showCommand: Command = {
  name: 'clients show',
  summary: 'print every field of one client',
  help: `usage: portcullis clients show CLIENT_ID

Prints the client's fields, one per line, each redirect URI on its own line. The secret is
never shown (only its hash is stored).`,
  args: ['CLIENT_ID'],
  needs: 'services',
  async run({ positionals, services, io }) {
    const id = positionals[0] ?? ''
    const c = await services.store.clients.findById(id)
    if (!c) throw new ApiError('not_found', `no client ${id}`)
    const lines = [
      `client_id: ${c.id}`,
      `name: ${c.name}`,
      `type: ${c.secretHash ? 'confidential' : 'public'}`,
      `grant_types: ${c.grantTypes.join(' ')}`,
      `scopes: ${c.scopes.join(' ')}`,
      `introspect: ${c.introspect ? 'yes' : 'no'}`,
      `first_party: ${c.firstParty ? 'yes' : 'no'}`,
      `resource: ${c.resource ?? '-'}`,
      ...c.redirectUris.map((u) => `redirect_uri: ${u}`),
      ...c.postLogoutRedirectUris.map((u) => `post_logout_redirect_uri: ${u}`),
      `created: ${c.createdAt}`,
      `updated: ${c.updatedAt}`,
    ]
    printLines(io.stdout, lines.join('\n'))
    return 0
  },
}

const deleteCommand: Command = {
  name: 'clients delete',
  summary: 'delete a client and end the sessions started through it',
  help: `usage: portcullis clients delete CLIENT_ID

Deletes the client and every user's consent to it; every session started through it ends, so
its refresh tokens stop working.`,
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

export const clientCommands = [
  createCommand,
  listCommand,
  showCommand,
  deleteCommand,
  rotateCommand,
]
