/**
 * A certificate authority made for one test run, with the `openssl` CLI: the SMTP test server
 * (test/support/smtp.ts) presents a leaf it signed for 127.0.0.1 and localhost, and every test
 * process trusts it through `NODE_EXTRA_CA_CERTS` — the standard mechanism, read by Node only at
 * process start, so nothing in src/ ever loosens a certificate check.
 *
 * test/run.ts calls `createTestCa()` once per run and passes `testCaEnv(ca)` to the test
 * processes it spawns. To run one test file directly:
 *
 * ```sh
 * eval "$(npx tsx test/support/test-ca.ts)"   # prints the two export lines
 * node --import tsx --test test/mail/transport.test.ts
 * ```
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Where the test run's TLS files are: `ca.pem`, `leaf.pem`, `leaf-key.pem`. */
export const tlsDirVariable = 'PORTCULLIS_TEST_TLS_DIR'

export interface TestCa {
  dir: string
  /** The CA certificate (PEM file) that `NODE_EXTRA_CA_CERTS` names. */
  caFile: string
  /** A certificate for 127.0.0.1 and localhost signed by the CA, and its key. */
  certFile: string
  keyFile: string
  destroy(): void
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

/**
 * Makes a CA and a server certificate for 127.0.0.1 and localhost in a new temporary folder
 * (`dir` when given). Each call makes a new CA: one not named in `NODE_EXTRA_CA_CERTS` is an
 * untrusted issuer (the harness's `untrustedCertificate` option).
 */
export function createTestCa(dir = mkdtempSync(join(tmpdir(), 'portcullis-ca-'))): TestCa {
  openssl(dir, [
    'req',
    '-x509',
    ...keyArgs,
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Portcullis test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ])
  openssl(dir, [
    'req',
    ...keyArgs,
    '-keyout',
    'leaf-key.pem',
    '-out',
    'leaf.csr',
    '-subj',
    '/CN=localhost',
  ])
  writeFileSync(
    join(dir, 'leaf.ext'),
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  )
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-out',
    'leaf.pem',
    '-days',
    '2',
    '-extfile',
    'leaf.ext',
  ])
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'leaf.pem'),
    keyFile: join(dir, 'leaf-key.pem'),
    destroy: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** The environment a test process needs to trust `ca` and to find its server certificate. */
export function testCaEnv(ca: TestCa): Record<string, string> {
  return { NODE_EXTRA_CA_CERTS: ca.caFile, [tlsDirVariable]: ca.dir }
}

/** The test run's CA from the environment; throws how to get one when it is missing. */
export function runTestCa(): TestCa {
  const dir = process.env[tlsDirVariable]
  if (!dir || !process.env.NODE_EXTRA_CA_CERTS) {
    throw new Error(
      `${tlsDirVariable} and NODE_EXTRA_CA_CERTS are not set: run the tests with \`npm test\`, or first \`eval "$(npx tsx test/support/test-ca.ts)"\``,
    )
  }
  return {
    dir,
    caFile: process.env.NODE_EXTRA_CA_CERTS,
    certFile: join(dir, 'leaf.pem'),
    keyFile: join(dir, 'leaf-key.pem'),
    destroy: () => {},
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // Kept until the machine clears its temporary folder: a shell session may run many tests.
  const ca = createTestCa()
  for (const [name, value] of Object.entries(testCaEnv(ca))) console.log(`export ${name}=${value}`)
}
