import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readCpuSeconds } from '../harness/cpu'
import { drive } from '../harness/drive'
import { readProcessMemory } from '../harness/rss'
import { selectTargets } from '../targets'

describe('drive', () => {
  let server: Server
  let url: string
  let served = 0
  let bodies: string[] = []

  beforeAll(async () => {
    // Every tenth request fails: the drive must count it, not hide it.
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk) => (body += chunk))
      req.on('end', () => {
        served++
        if (bodies.length < 3) bodies.push(body)
        res.statusCode = served % 10 === 0 ? 503 : 200
        res.end('{"output":{"response":"Processed: benchmark"}}')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  // The server runs in this process, so this process is the one measured.
  const self = { memory: () => readProcessMemory(process.pid), cpuSeconds: () => readCpuSeconds(process.pid) }

  it('sends the warm-up, then measures exactly the requested number of responses on the same connections', async () => {
    served = 0
    bodies = []
    const [target] = selectTargets(['echo'])
    const { run, latencies } = await drive({ url, target, headers: {}, connections: 4, server: self, warmup: { requests: 40 }, measure: { requests: 200 } })

    expect(served).toBe(240)
    expect(JSON.parse(bodies[0])).toEqual(target.body)
    expect(run.responses).toBe(200)
    expect(run.warmupResponses).toBe(40)
    expect(run.unanswered).toBe(0)
    expect(Object.values(run.statusCodes).reduce((sum, count) => sum + count, 0)).toBe(200)
    // Every 503 is counted once: in the measured errors, or with the warm-up when it was sent then.
    expect(run.errors.non2xx + run.warmupErrors).toBe(24)
    expect(run.errors.total).toBe(run.errors.non2xx)
    expect(run.requestsPerSecond).toBeGreaterThan(0)
    // Up to one request per connection was sent during the warm-up and completes in the measured phase: not timed.
    expect(latencies.length).toBeGreaterThanOrEqual(200 - 4)
    expect(latencies.length).toBeLessThanOrEqual(200)
    expect(run.latencyMs.max).toBeGreaterThanOrEqual(run.latencyMs.p99)
    expect(run.rssMb.before).toBeGreaterThan(0)
    expect(run.cpu.msPerResponse).toBeGreaterThan(0)
  })

  it('runs for the warm-up plus the measured seconds and reports only the measured phase', async () => {
    const [target] = selectTargets(['echo'])
    const { run } = await drive({ url, target, headers: {}, connections: 2, server: self, warmup: { seconds: 2 }, measure: { seconds: 1 } })
    expect(run.durationSeconds).toBeGreaterThan(0.8)
    // Warm-up and measured phase together would be 3 s; the margin is for a loaded machine, where a phase ends late.
    expect(run.durationSeconds).toBeLessThan(2.5)
    expect(run.responses).toBeGreaterThan(0)
    expect(run.rssSamples.length).toBeGreaterThan(0)
  })

  it('refuses phases of different kinds', async () => {
    const [target] = selectTargets(['echo'])
    await expect(drive({ url, target, headers: {}, connections: 1, server: self, warmup: { seconds: 1 }, measure: { requests: 10 } })).rejects.toThrow(/both be in seconds or both in requests/)
  })
})
