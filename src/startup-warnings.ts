import type { Config } from './config.js'
import { looseModeWarnings } from './store/file-modes.js'
import { sqliteFilePath } from './store/open-store.js'

/**
 * The warnings a start logs once per server (by the single process, or by a cluster's primary,
 * never by each worker): SQLite files open to group or others, keys stored in clear in
 * production, a missing shared issuer, a hop-count trusted proxy.
 */
export function startupWarnings(config: Config, issuerWarning: string | null): string[] {
  const warnings: string[] = []
  const file = sqliteFilePath(config.store.databaseUrl)
  if (file) warnings.push(...looseModeWarnings(file))
  if (config.env === 'production' && !config.keys.encryptionKey) {
    warnings.push(
      'PORTCULLIS_ALLOW_UNENCRYPTED_KEYS=true: private signing keys and server secrets are stored in clear; set PORTCULLIS_KEY_ENCRYPTION_KEY (32 bytes, base64)',
    )
  }
  if (issuerWarning) warnings.push(issuerWarning)
  if (typeof config.http.trustProxy === 'number') {
    warnings.push(
      "PORTCULLIS_TRUST_PROXY is a hop count: anyone who can reach this port directly can choose their client IP; list the proxies' addresses instead unless only the proxy can connect",
    )
  }
  return warnings
}
