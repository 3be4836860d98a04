import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { verifyWebhookSignature } from '../../framework/webhooks/signature'

export interface WebhookDelivery {
  body: string
  headers: Record<string, string | string[] | undefined>
  /** The signature checked with the receiver's secret, as a receiver in production checks it. */
  valid: boolean
}

export interface WebhookReceiver {
  server: Server
  /** Where to send webhooks (`http://127.0.0.1:<port>/hooks`). */
  url: string
  deliveries: WebhookDelivery[]
  close(): Promise<void>
}

/**
 * A local webhook receiver: verifies each delivery's signature with
 * `secret`, and answers 500 to the first `failFirst` deliveries of each run
 * (by the body's `run_id`), 204 after.
 *
 * @example
 * const receiver = await startWebhookReceiver(secret, { failFirst: 1 })
 */
export async function startWebhookReceiver(secret: string, options: { failFirst?: number } = {}): Promise<WebhookReceiver> {
  const deliveries: WebhookDelivery[] = []
  const seen = new Map<string, number>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const header = (name: string) => req.headers[name] as string | undefined
      const valid = verifyWebhookSignature({ secret, body, timestamp: header('x-langvel-timestamp'), deliveryId: header('x-langvel-delivery'), signature: header('x-langvel-signature') })
      deliveries.push({ body, headers: req.headers, valid })
      let runId = ''
      try {
        runId = String((JSON.parse(body) as { run_id?: unknown }).run_id ?? '')
      } catch {
        // Counted under '' : not a run.
      }
      const count = (seen.get(runId) ?? 0) + 1
      seen.set(runId, count)
      res.statusCode = count <= (options.failFirst ?? 0) ? 500 : 204
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    deliveries,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
