import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import { guardedLookup, isPrivateAddress, PrivateAddressError, urlHost, type PrivateTargetFilter } from '../support/address_guard'
import { filterForUrl, refusedReason } from './webhook_target'

export type AttemptResult =
  | { kind: 'status'; status: number; retryAfterMs?: number }
  | { kind: 'refused'; reason: string }
  | { kind: 'network'; reason: string }

export interface AttemptOptions {
  headers: Record<string, string>
  allowPrivate: PrivateTargetFilter
  timeoutMs: number
  /** Aborts the attempt (shutdown past its wait). */
  signal: AbortSignal
}

/**
 * One POST of `body` to `url`. The connection goes only to an address the
 * guard accepts, checked on the address actually connected to; redirects are
 * not followed (a 3xx is an answer like any other). The response body is
 * not read.
 */
export function attemptDelivery(url: URL, body: string, options: AttemptOptions): Promise<AttemptResult> {
  const host = urlHost(url)
  const allowPrivate = filterForUrl(options.allowPrivate, url)
  // An address in the URL is never looked up, so the lookup guard would not see it.
  if (isIP(host) && isPrivateAddress(host) && !allowPrivate({ host, address: host })) {
    return Promise.resolve({ kind: 'refused', reason: refusedReason(host, host) })
  }
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)])
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve) => {
    let settled = false
    const settle = (result: AttemptResult) => {
      if (settled) return
      settled = true
      resolve(result)
    }
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...options.headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(allowPrivate),
        signal,
        // A connection per attempt: a kept-alive socket would skip the address check of the next one.
        agent: false,
      },
      (res) => {
        // The status is all a delivery needs: the body is not read, the connection (one per attempt) is closed.
        res.on('error', () => undefined)
        res.destroy()
        settle({ kind: 'status', status: res.statusCode ?? 0, retryAfterMs: retryAfter(res.headers['retry-after']) })
      },
    )
    req.on('error', (error: Error & { code?: string }) => {
      let cause: unknown = error
      while (cause && !(cause instanceof PrivateAddressError)) cause = (cause as { cause?: unknown }).cause
      if (cause instanceof PrivateAddressError) return settle({ kind: 'refused', reason: refusedReason(cause.host, cause.address) })
      const timedOut = signal.aborted && !options.signal.aborted
      settle({ kind: 'network', reason: timedOut ? `no answer within ${options.timeoutMs} ms` : error.code ?? error.message })
    })
    req.end(body)
  })
}

/** Retry-After in seconds (the date form is rare for webhooks and ignored). */
function retryAfter(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,6}$/.test(value.trim())) return undefined
  return Number(value.trim()) * 1000
}
