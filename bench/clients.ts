/** The bootstrap admin every benchmark server starts with (environment variables). */
export const benchAdmin = {
  PORTCULLIS_BOOTSTRAP_ADMIN_USERNAME: 'bench_admin',
  PORTCULLIS_BOOTSTRAP_ADMIN_PASSWORD: 'bench admin password, long enough',
}

/**
 * Registers, through the admin API, a confidential client that may use client_credentials and
 * introspect; returns its Basic credentials.
 */
export async function createBenchClient(baseUrl: string): Promise<string> {
  const login = await fetch(`${baseUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      username: benchAdmin.PORTCULLIS_BOOTSTRAP_ADMIN_USERNAME,
      password: benchAdmin.PORTCULLIS_BOOTSTRAP_ADMIN_PASSWORD,
      scope: 'admin',
    }).toString(),
  })
  if (!login.ok) throw new Error(`admin login: HTTP ${login.status} ${await login.text()}`)
  const { access_token: admin } = (await login.json()) as { access_token: string }
  const created = await fetch(`${baseUrl}/admin/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({
      client_id: 'bench-resource-server',
      name: 'benchmark resource server',
      confidential: true,
      grant_types: ['client_credentials'],
      scopes: ['profile'],
      introspect: true,
    }),
  })
  if (!created.ok) throw new Error(`create client: HTTP ${created.status} ${await created.text()}`)
  const { client_id: id, client_secret: secret } = (await created.json()) as {
    client_id: string
    client_secret: string
  }
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
}
