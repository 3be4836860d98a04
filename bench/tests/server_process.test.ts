import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ProcessGuard } from '../harness/process_guard'
import { ServerProcess } from '../harness/server_process'

/** A tiny loopback server that announces its URL as both benchmark servers do. */
const SERVER = `
const server = require('node:http').createServer((req, res) => res.end('ok'))
server.listen(0, '127.0.0.1', () => console.log('ready at http://127.0.0.1:' + server.address().port))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
`

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('ServerProcess and ProcessGuard', () => {
  let scratch: string
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'langvel-bench-test-'))
  })
  afterAll(() => rmSync(scratch, { recursive: true, force: true }))

  const spec = (name: string, script: string) => ({ name, args: ['-e', script], env: { PATH: process.env.PATH }, cwd: scratch, logFile: join(scratch, `${name}.log`) })

  it('starts a server, reads its URL, memory and CPU, and the guard stops it at the end', async () => {
    const guard = new ProcessGuard()
    let pid = 0
    const order: string[] = []
    const code = await guard.run(async () => {
      const server = await ServerProcess.start(spec('tiny', SERVER), (child) => guard.adopt(child))
      pid = server.pid
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(await (await fetch(server.url)).text()).toBe('ok')
      expect(server.memory()?.rss).toBeGreaterThan(0)
      expect(server.cpuSeconds()).toBeGreaterThanOrEqual(0)
      guard.defer(() => void order.push('first registered'))
      guard.defer(() => void order.push('last registered'))
      return 7
    })
    expect(code).toBe(7)
    expect(alive(pid)).toBe(false)
    expect(order).toEqual(['last registered', 'first registered'])
  })

  it('stops the children and answers 1 when the benchmark throws', async () => {
    const guard = new ProcessGuard()
    let pid = 0
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const code = await guard.run(async () => {
        pid = (await ServerProcess.start(spec('doomed', SERVER), (child) => guard.adopt(child))).pid
        throw new Error('benchmark failed')
      })
      expect(code).toBe(1)
    } finally {
      stderr.mockRestore()
    }
    expect(alive(pid)).toBe(false)
  })

  it('rejects with the server output when it exits before printing a URL', async () => {
    const guard = new ProcessGuard()
    const failing = spec('broken', "console.error('E_INVALID_CONFIG something is wrong'); process.exit(3)")
    await expect(ServerProcess.start(failing, (child) => guard.adopt(child))).rejects.toThrow(/broken server exited before it was ready \(code 3.*E_INVALID_CONFIG something is wrong/s)
    await guard.cleanup()
  })
})
