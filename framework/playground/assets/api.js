// The agent API as the page uses it: every request carries the credential typed
// into the page (kept in this tab's sessionStorage only, never sent anywhere else).

const CREDENTIAL_KEY = 'langvel.playground.credential'

export function loadCredential() {
  try {
    return JSON.parse(sessionStorage.getItem(CREDENTIAL_KEY) || 'null') || { kind: 'bearer', value: '' }
  } catch {
    return { kind: 'bearer', value: '' }
  }
}

export function saveCredential(credential) {
  if (credential.value) sessionStorage.setItem(CREDENTIAL_KEY, JSON.stringify(credential))
  else sessionStorage.removeItem(CREDENTIAL_KEY)
}

function headers(extra = {}) {
  const credential = loadCredential()
  const all = { ...extra }
  if (credential.value) {
    if (credential.kind === 'apikey') all['X-API-Key'] = credential.value
    else all.Authorization = `Bearer ${credential.value}`
  }
  return all
}

/** An error answer of the API, with its code (E_...) and status. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {}
    super(error.message || `HTTP ${status}`)
    this.status = status
    this.code = error.code || 'E_HTTP'
    this.details = error.details
  }
}

async function readJson(response) {
  const text = await response.text()
  let body
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    body = undefined
  }
  if (!response.ok) throw new ApiError(response.status, body)
  return body
}

export async function getJson(url) {
  return readJson(await fetch(url, { headers: headers({ Accept: 'application/json' }) }))
}

export async function postJson(url, body, signal) {
  return readJson(await fetch(url, { method: 'POST', headers: headers({ 'Content-Type': 'application/json', Accept: 'application/json' }), body: JSON.stringify(body), signal }))
}

/**
 * POSTs and reads the Server-Sent Events answer, calling `onEvent({ event, data })`
 * for each event as it arrives. A refusal before the stream opens is a JSON error.
 */
export async function postStream(url, body, onEvent, signal) {
  const response = await fetch(url, {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
    body: JSON.stringify({ ...body, stream: true }),
    signal,
  })
  if (!response.ok || !(response.headers.get('content-type') || '').startsWith('text/event-stream')) {
    await readJson(response)
    throw new ApiError(response.status, undefined)
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    buffer += value
    let end
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '')
      const event = parseBlock(block)
      // One event per task: the page shows each before it reads the next.
      if (event) await onEvent(event)
    }
  }
}

function parseBlock(block) {
  let event = 'message'
  const data = []
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') event = value
    else if (field === 'data') data.push(value)
  }
  if (data.length === 0) return undefined
  const text = data.join('\n')
  try {
    return { event, data: JSON.parse(text) }
  } catch {
    return { event, data: text }
  }
}

/** `/agents/<path>` for a route path without its leading slash. */
export function agentUrl(path, ...rest) {
  return ['/agents', path, ...rest.map(encodeURIComponent)].join('/')
}
