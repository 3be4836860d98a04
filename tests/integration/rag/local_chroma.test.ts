import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalChroma } from '../../../framework/rag/local_chroma'
import { processAlive } from '../../helpers/chroma_server'

const CHILD = join(__dirname, 'support', 'managed_chroma_child.ts')

/** Runs the child until it reports its managed Chroma; returns that and the child. */
async function startChild(basePath: string, mode: string, provider = 'fake') {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', CHILD, basePath, mode, provider], { cwd: join(__dirname, '..', '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const report = await new Promise<{ pid: number; url: string }>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const line = stdout.split('\n').find((l) => l.startsWith('{'))
      if (line) resolve(JSON.parse(line))
    })
    void exited.then(() => reject(new Error(`child exited before reporting: ${stderr.slice(-2000)}`)))
  })
  return { child, report, exited, output: () => stdout }
}

/** Resolves once `pid` is gone; rejects if it is still there after `timeoutMs`. */
async function gone(pid: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (processAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL')
      throw new Error(`chroma (pid ${pid}) outlived the process that started it`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('the managed local Chroma', () => {
  let basePath: string

  beforeEach(() => {
    basePath = mkdtempSync(join(tmpdir(), 'langvel-managed-'))
  })
  afterEach(() => rmSync(basePath, { recursive: true, force: true }))

  it('starts on first use with its data in RAG_STORAGE_PATH, answering on 127.0.0.1, and stops with the application', async () => {
    const { report, exited, output } = await startChild(basePath, 'shutdown')

    expect(report.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(existsSync(join(basePath, 'storage', 'chroma'))).toBe(true)
    expect(await exited).toBe(0)
    expect(output()).toContain('shut down')
    await gone(report.pid)
  })

  it('does not outlive a process ended by SIGTERM', async () => {
    const { child, report, exited } = await startChild(basePath, 'wait')
    expect(processAlive(report.pid)).toBe(true)

    child.kill('SIGTERM')

    await exited
    await gone(report.pid)
  })

  it('does not outlive a process that calls process.exit without shutting down', async () => {
    const { report, exited } = await startChild(basePath, 'exit')
    await exited
    await gone(report.pid)
  })

  it('does not outlive a process that crashes', async () => {
    const { report, exited } = await startChild(basePath, 'crash')
    expect(await exited).not.toBe(0)
    await gone(report.pid)
  })

  it('does not outlive a crash after the local embedding model was loaded (its runtime installs crash handlers of its own)', async () => {
    const { report, exited } = await startChild(basePath, 'crash', 'local')
    expect(await exited).not.toBe(0)
    await gone(report.pid)
  })

  it("uses another process's running server on the same data folder instead of starting a second one, and starts its own once that one is gone", async () => {
    const { report, child } = await startChild(basePath, 'wait')
    const second = new LocalChroma({ path: join(basePath, 'storage', 'chroma') })
    try {
      await expect(second.start()).resolves.toBe(report.url)
      expect(second.shared).toBe(true)
      expect(second.pid).toBeUndefined()

      child.kill('SIGTERM')
      await gone(report.pid)
      const own = await second.start()
      expect(second.shared).toBe(false)
      expect(second.pid).toBeDefined()
      expect(own).not.toBe(report.url)
    } finally {
      await second.stop()
      expect(existsSync(join(basePath, 'storage', 'chroma', '.langvel-chroma.json'))).toBe(false)
    }
  })
})
