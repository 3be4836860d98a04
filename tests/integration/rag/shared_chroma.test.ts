import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { processAlive } from '../../helpers/chroma_server'

const CHILD = join(__dirname, 'support', 'cluster_child.ts')

/** The `chroma run` processes whose data folder is under `basePath`. */
function chromaProcesses(basePath: string): number[] {
  const lines = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n')
  return lines.filter((line) => line.includes('chroma run') && line.includes(basePath)).map((line) => Number(line.trim().split(/\s+/)[0]))
}

async function until(ok: () => boolean, what: string, context: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('a managed Chroma shared by cluster workers', () => {
  let basePath: string

  beforeEach(() => {
    basePath = mkdtempSync(join(tmpdir(), 'langvel-cluster-'))
  })
  afterEach(() => {
    for (const pid of chromaProcesses(basePath)) process.kill(pid, 'SIGKILL')
    rmSync(basePath, { recursive: true, force: true })
  })

  it('is started once, by the primary, used by every worker, and stopped with the cluster', async () => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', CHILD, basePath], { cwd: join(__dirname, '..', '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    const context = () => `${stdout}\n${stderr}`
    const workerLines = () => stdout.split('\n').filter((line) => line.startsWith('worker '))

    try {
      await until(() => workerLines().length === 2, 'two workers using RAG', context)
      const reports = workerLines().map((line) => line.split(' '))
      const urls = new Set(reports.map((report) => report[2]))
      expect(urls.size).toBe(1)
      expect([...urls][0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(reports.map((report) => report[3])).toEqual(['no-own-chroma', 'no-own-chroma'])
      const servers = chromaProcesses(basePath)
      expect(servers).toHaveLength(1)

      child.kill('SIGTERM')

      expect(await exited).toBe(0)
      expect(stdout).toContain('primary stopped')
      await until(() => !processAlive(servers[0]), 'the shared Chroma to stop', context)
    } finally {
      child.kill('SIGKILL')
    }
  })
})
