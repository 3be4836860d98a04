import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { checkTarget, routeExists } from '../harness/check_target'
import { selectTargets, type BenchTarget } from '../targets'

describe('checkTarget', () => {
  let server: Server
  let url: string
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        if (req.url === '/agents/echo') return void res.end('{"output":{"response":"Processed: benchmark"}}')
        if (req.url === '/agents/limited') {
          res.setHeader('X-RateLimit-Limit', '5')
          return void res.end('{"output":{"response":"Processed: benchmark"}}')
        }
        if (req.url === '/agents/wrong') return void res.end('{"output":{"response":"something else"}}')
        res.statusCode = 404
        res.end('{"error":{"code":"E_NOT_FOUND"}}')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const [echo] = selectTargets(['echo'])
  const at = (path: string, optional = false): BenchTarget => ({ ...echo, name: path.slice(8), path, optional })

  it('accepts a 2xx answer containing the expected text', async () => {
    await expect(checkTarget(url, echo, {})).resolves.toEqual({ status: 'ok' })
    await expect(routeExists(url, echo)).resolves.toBe(true)
  })

  it('skips an optional target the server does not route, with the reason', async () => {
    const check = await checkTarget(url, at('/agents/secure/echo', true), {})
    expect(check).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/does not route POST \/agents\/secure\/echo \(404\)/) })
    await expect(routeExists(url, at('/agents/secure/echo'))).resolves.toBe(false)
  })

  it('skips a route whose rate limit would turn the benchmark into 429s', async () => {
    await expect(checkTarget(url, at('/agents/limited'), {})).resolves.toMatchObject({ status: 'skipped', reason: expect.stringMatching(/allows 5 requests per window/) })
  })

  it('refuses to benchmark a wrong answer or a missing required route', async () => {
    await expect(checkTarget(url, at('/agents/wrong'), {})).rejects.toThrow(/answered 200, expected 2xx containing "Processed: benchmark"/)
    await expect(checkTarget(url, at('/agents/absent'), {})).rejects.toThrow(/answered 404/)
  })
})
