import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Client } from '@langchain/langgraph-sdk'
import { selectTargets } from '../targets'

interface Captured {
  method?: string
  url?: string
  headers: IncomingHttpHeaders
  body: string
}

/**
 * The `echo_sdk` target drives the raw request the official client sends, so
 * autocannon can replay it: this checks the target against what
 * `client.runs.wait(null, 'echo', { input })` really puts on the wire, on a
 * local server that records the request and answers as Langvel does.
 */
describe('the echo_sdk benchmark target', () => {
  const [target] = selectTargets(['echo_sdk'])
  let server: Server
  let url: string
  const requests: Captured[] = []

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
      req.on('end', () => {
        requests.push({ method: req.method, url: req.url, headers: req.headers, body })
        const query = (JSON.parse(body) as { input: { query: string } }).input.query
        res.writeHead(200, { 'content-type': 'application/json', 'content-location': '/runs/00000000-0000-0000-0000-000000000001' })
        res.end(JSON.stringify({ query, processed: query, response: `Processed: ${query}` }))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('is the method, path and JSON body of a thread-less runs.wait on the echo assistant', async () => {
    const client = new Client({ apiUrl: url, apiKey: null })
    const input = (target.body as { input: Record<string, unknown> }).input
    const values = await client.runs.wait(null, 'echo', { input })

    expect(requests).toHaveLength(1)
    const [sent] = requests
    expect(sent.method).toBe(target.method)
    expect(sent.url).toBe(target.path)
    expect(sent.headers['content-type']).toMatch(/^application\/json/)
    // Byte for byte: autocannon sends JSON.stringify(target.body).
    expect(sent.body).toBe(JSON.stringify(target.body))
    expect(JSON.stringify(values)).toContain(target.expect)
  })
})
