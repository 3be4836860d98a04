import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { postgresReachable } from '../harness/postgres_database'
import { DEFAULT_POSTGRES_URL } from '../options'

const ROOT = resolve(__dirname, '..', '..')
const RESULTS = join(ROOT, 'bench', 'results')

interface Finished {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `node bench/run.js ...args`; `onLine` may act on the output as it arrives (e.g. send SIGINT). */
function bench(args: string[], onLine?: (line: string, child: ReturnType<typeof spawn>) => void): Promise<Finished> {
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'run.js'), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    if (onLine) for (const line of chunk.toString().split('\n')) onLine(line, child)
  })
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })))
}

function serverPids(stdout: string): number[] {
  return [...stdout.matchAll(/: http:\/\/127\.0\.0\.1:\d+ \(pid (\d+)\)/g)].map((match) => Number(match[1]))
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('npm run bench (bench/run.js) as a process', () => {
  const name = `jest-bench-${process.pid}`
  afterAll(() => {
    for (const file of [`${name}-load.json`, `${name}-memory.json`, `${name}-persistence.json`]) rmSync(join(RESULTS, file), { force: true })
  })

  it('builds the project, drives the baseline and the compiled langvel serve on fresh servers each round, prints the comparison, writes the JSON and leaves no server behind', async () => {
    const run = await bench(['--targets', 'baseline,echo', '--rounds', '2', '--duration', '1', '--warmup', '1', '--connections', '4', '--name', `${name}-load`])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/full stack \/ baseline: [\d.]+% of throughput \(target >= 90%\)/)
    expect(run.stdout).toMatch(/servers compiled by langvel build \(working tree\)/)
    expect(run.stdout).not.toMatch(/^Persistence/m)
    const result = JSON.parse(readFileSync(join(RESULTS, `${name}-load.json`), 'utf8'))
    expect(result.settings.server).toMatchObject({ compiled: true, source: 'working tree' })
    expect(result.targets.map((target: { name: string }) => target.name)).toEqual(['baseline', 'echo'])
    for (const target of result.targets) {
      expect(target.summary.ok).toBeGreaterThan(0)
      expect(target.summary.latencyMs.p95).toBeGreaterThan(0)
      expect(target.summary.rssMb.after).toBeGreaterThan(0)
    }
    expect(result.settings.langvelEnv).toMatchObject({ APP_ENV: 'production', STATE_CHECKPOINTER: 'memory', LOG_FORMAT: 'json' })
    expect(result.settings.langvelEnv.JWT_SECRET_KEY).not.toMatch(/secret-not-for-production/)
    expect(result.settings).toMatchObject({ rounds: 2, freshServersEachRound: true })
    for (const target of result.targets) expect(target.rounds).toHaveLength(2)
    // Two servers per round, four distinct processes, none left running.
    const pids = serverPids(run.stdout)
    expect(pids).toHaveLength(4)
    expect(new Set(pids).size).toBe(4)
    for (const pid of pids) expect(alive(pid)).toBe(false)
  }, 90_000)

  it('measures the echo route per checkpointer on a commit, each server on its own settings, PostgreSQL in a scratch database it drops', async () => {
    const postgres = await postgresReachable(DEFAULT_POSTGRES_URL)
    const targets = 'echo_memory,echo_sqlite_exit,echo_postgres'
    const run = await bench(['--ref', 'HEAD', '--targets', targets, '--rounds', '1', '--duration', '1', '--warmup', '1', '--connections', '4', '--name', `${name}-persistence`])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/servers compiled by langvel build \(commit [0-9a-f]{40}\)/)
    expect(run.stdout).toMatch(/^Persistence: /m)
    const result = JSON.parse(readFileSync(join(RESULTS, `${name}-persistence.json`), 'utf8'))
    const ran = result.targets.map((target: { name: string }) => target.name)
    expect(ran).toEqual(postgres.ok ? targets.split(',') : ['echo_memory', 'echo_sqlite_exit'])
    expect(result.targets[1].env).toEqual({ STATE_CHECKPOINTER: 'sqlite', AGENT_DURABILITY: 'exit' })
    expect(result.persistence.map((row: { name: string }) => row.name)).toEqual(ran)
    expect(result.persistence[0].ofMemoryDefault).toBe(1)
    if (postgres.ok) {
      const database = result.targets[2].env.DATABASE_URL as string
      expect(database).toMatch(/^postgres:\/\/.*\/langvel_bench_\d+_\d+$/)
      const { Client } = require('pg') as typeof import('pg')
      const client = new Client({ connectionString: DEFAULT_POSTGRES_URL })
      await client.connect()
      try {
        const { rows } = await client.query('select 1 from pg_database where datname = $1', [database.split('/').pop()])
        expect(rows).toHaveLength(0)
      } finally {
        await client.end()
      }
    } else {
      expect(result.notes.join('\n')).toMatch(/echo_postgres skipped: PostgreSQL at .* is not reachable/)
    }
  }, 120_000)

  it('runs the memory benchmark and reports RSS after the warm-up, at the end and the growth', async () => {
    const run = await bench(['memory', '--targets', 'baseline', '--requests', '400', '--warmup-requests', '100', '--connections', '4', '--name', `${name}-memory`])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/RSS growth: -?[\d.]+ MB over \d+ requests \(target < 20 MB\)/)
    const result = JSON.parse(readFileSync(join(RESULTS, `${name}-memory.json`), 'utf8'))
    expect(result.measured.responses).toBe(400)
    expect(result.rssMb.afterWarmup).toBeGreaterThan(0)
    expect(result.rssMb.end).toBeGreaterThan(0)
    expect(result.rssMb.growth).toBeCloseTo(result.rssMb.end - result.rssMb.afterWarmup, 1)
  }, 60_000)

  it('stops its servers and exits 130 on SIGINT in the middle of a run', async () => {
    let interrupted = false
    const run = await bench(['--targets', 'baseline', '--duration', '60', '--warmup', '1', '--connections', '2', '--name', `${name}-interrupted`], (line, child) => {
      if (!interrupted && /baseline: http:\/\/127\.0\.0\.1/.test(line)) {
        interrupted = true
        // Let the load start before interrupting it.
        setTimeout(() => child.kill('SIGINT'), 1500)
      }
    })
    expect(interrupted).toBe(true)
    expect(run.code).toBe(130)
    const [pid] = serverPids(run.stdout)
    expect(alive(pid)).toBe(false)
    expect(existsSync(join(RESULTS, `${name}-interrupted.json`))).toBe(false)
  }, 60_000)

  it('explains bad arguments and exits 2 without starting anything', async () => {
    const run = await bench(['--duration', 'soon'])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/--duration "soon": expected an integer/)
    expect(run.stderr).toMatch(/Usage: npm run bench/)
  })
})
