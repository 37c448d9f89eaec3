// The Lua script wrk runs: which requests it sends, and a done() that prints one JSON line the
// bench parses (wrk-output.ts), so nothing depends on wrk's human-readable summary.

/** One request of a rotation: wrk cycles through them, one per request. */
export interface WrkRequest {
  method: 'GET' | 'POST'
  path: string
  headers: Record<string, string>
  body?: string
}

/**
 * What wrk sends. `rotate`: prebuilt requests in turn (tokens of many users, login forms).
 * `refresh`: the refresh grant, each request spending an unspent refresh token from a pool and
 * putting the successor from its answer back, so no token is ever presented twice (which the
 * server would rightly treat as theft). Each run strands a few tokens: those in flight when it
 * ends, and one that wrk takes from request() when a thread starts without sending it; a pool
 * well above the connection count (the bench's is 100 for 8 connections) covers many runs.
 */
export type WrkLoad =
  | { kind: 'rotate'; requests: WrkRequest[] }
  | { kind: 'refresh'; path: string; headers: Record<string, string>; refreshTokens: string[] }

/** The prefix of the line done() prints. */
export const RESULT_MARKER = '@@bench-wrk '

/** `text` as a Lua string literal: printable ASCII as is, every other byte as `\ddd`. */
export function luaString(text: string): string {
  let out = '"'
  for (const byte of Buffer.from(text, 'utf8')) {
    const plain = byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c
    out += plain ? String.fromCharCode(byte) : `\\${String(byte).padStart(3, '0')}`
  }
  return `${out}"`
}

const luaTable = (headers: Record<string, string>) =>
  `{${Object.entries(headers)
    .map(([k, v]) => `[${luaString(k)}]=${luaString(v)}`)
    .join(',')}}`

const common = `
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end
`

const done = `
function done(summary, latency, requests)
  local counted, starved, pool = 0, 0, {}
  for _, t in ipairs(threads) do
    counted = counted + (t:get("non2xx") or 0)
    starved = starved + (t:get("starved") or 0)
    for _, token in ipairs(t:get("pool") or {}) do pool[#pool + 1] = '"' .. token .. '"' end
  end
  if not COUNTS_STATUS then counted = -1 end
  local mean = latency.mean
  if mean ~= mean then mean = 0 end
  local e = summary.errors
  io.write(string.format(
    '${RESULT_MARKER}{"requests":%.0f,"durationUs":%.0f,"bytes":%.0f,' ..
    '"errors":{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f},' ..
    '"latencyUs":{"p50":%.0f,"p90":%.0f,"p99":%.0f,"max":%.0f,"mean":%.3f},' ..
    '"non2xx":%.0f,"starved":%.0f,"pool":[%s]}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, mean,
    counted, starved, table.concat(pool, ",")))
end
`

function rotateScript(requests: WrkRequest[]): string {
  if (requests.length === 0) throw new Error('a rotation needs at least one request')
  const specs = requests
    .map(
      (r) =>
        `{${luaString(r.method)},${luaString(r.path)},${luaTable(r.headers)},${r.body === undefined ? 'nil' : luaString(r.body)}}`,
    )
    .join(',\n')
  // No response(): wrk then skips handing each body to Lua, the cheapest client there is;
  // non-2xx comes from wrk's own count of statuses above 399 (none of these routes redirects).
  return `COUNTS_STATUS = false
local specs = {
${specs}
}
local reqs, counter = {}, 0
${common}
function init(args)
  for i, s in ipairs(specs) do reqs[i] = wrk.format(s[1], s[2], s[3], s[4]) end
  counter = (id or 0) * 37
end
function request()
  counter = counter + 1
  return reqs[counter % #reqs + 1]
end
${done}`
}

const TOKEN = /^[A-Za-z0-9._~-]+$/

function refreshScript(
  path: string,
  headers: Record<string, string>,
  tokens: string[],
  threads: number,
): string {
  for (const token of tokens) {
    if (!TOKEN.test(token)) throw new Error('a refresh token with characters a form would escape')
  }
  return `COUNTS_STATUS = true
local tokens = {${tokens.map(luaString).join(',')}}
local path, headers = ${luaString(path)}, ${luaTable(headers)}
${common}
function init(args)
  pool, non2xx, starved = {}, 0, 0
  for i = (id or 0) + 1, #tokens, ${threads} do pool[#pool + 1] = tokens[i] end
end
function request()
  local token = table.remove(pool, 1)
  if token == nil then
    -- More connections than live tokens: the request goes out anyway and is refused, so the
    -- shortfall shows as non-2xx instead of as a quietly lower rate.
    starved = starved + 1
    token = "pool-exhausted"
  end
  return wrk.format("POST", path, headers, "grant_type=refresh_token&refresh_token=" .. token)
end
function response(status, headers, body)
  if status >= 200 and status < 300 then
    local successor = body:match('"refresh_token":"([^"]+)"')
    if successor then pool[#pool + 1] = successor end
  else
    non2xx = non2xx + 1
  end
end
${done}`
}

/** The Lua script for `load` run with `threads` wrk threads. */
export function wrkScript(load: WrkLoad, threads: number): string {
  return load.kind === 'rotate'
    ? rotateScript(load.requests)
    : refreshScript(load.path, load.headers, load.refreshTokens, threads)
}
