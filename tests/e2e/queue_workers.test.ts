import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { DatabaseManager } from '../../framework/database/database_manager'
import { Migrator } from '../../framework/database/migrator'
import { BullmqQueue } from '../../framework/queue/bullmq_queue'
import { queueMetrics } from '../../framework/queue/queue_metrics'
import { RunService } from '../../framework/queue/run_service'
import { RunStore, type RunRecord, type RunStatus } from '../../framework/queue/run_store'
import { POSTGRES_URL, REDIS_URL, describeWithPostgres, describeWithRedis } from '../helpers/services'
import { stepsProject } from './support/steps_project'

/*
 * `langvel queue:work` as real processes: two workers on one PostgreSQL
 * (runs table, checkpoints) and one Redis (the queue), running the steps
 * agent of tests/fixtures/queue, whose steps record on a Redis list which
 * process ran them.
 */

const ROOT = join(__dirname, '..', '..')
const MIGRATIONS = join(ROOT, 'database', 'migrations')

interface Worker {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

const describeServices = (title: string, body: () => void) => describeWithPostgres(title, () => describeWithRedis(title, body))

describeServices('queue:work processes sharing runs', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'langvel-queue-'))
  const database = `langvel_queue_${randomBytes(6).toString('hex')}`
  const prefix = `test-queue-${randomUUID()}:`
  const queueName = 'runs'
  const workers: Worker[] = []
  let admin: DatabaseManager
  let db: DatabaseManager
  let redis: Redis
  let runs: RunService
  let env: Record<string, string>
  let cli: string

  beforeAll(async () => {
    admin = new DatabaseManager({ url: POSTGRES_URL, basePath: tmpdir(), pool: { min: 0, max: 1 } })
    await admin.connection().raw(`create database ${database}`)
    const url = new URL(POSTGRES_URL)
    url.pathname = `/${database}`
    db = new DatabaseManager({ url: url.toString(), basePath: tmpdir(), pool: { min: 0, max: 4 } })
    await new Migrator(db, { directory: MIGRATIONS }).latest()
    redis = new Redis(REDIS_URL)

    ;({ cli, env } = stepsProject(scratch, { databaseUrl: url.toString(), prefix, queueName, manifests: ['queueCommands'] }))
    const queue = new BullmqQueue({ url: REDIS_URL, prefix, name: queueName, metrics: queueMetrics(new Registry()) })
    runs = new RunService({
      store: new RunStore(() => db.connection()),
      queue,
      runner: () => {
        throw new Error('this process only dispatches')
      },
    })
    await Promise.all([startWorker(), startWorker()])
  }, 120_000)

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL')
    await Promise.all(workers.map((worker) => worker.exited))
    await runs?.queue.close(100)
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
    await db?.close()
    await admin?.connection().raw(`drop database if exists ${database}`)
    await admin?.close()
    rmSync(scratch, { recursive: true, force: true })
  }, 60_000)

  async function startWorker(): Promise<Worker> {
    const child = spawn(process.execPath, [cli, 'queue:work'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout!.on('data', (data) => (output += data))
    child.stderr!.on('data', (data) => (output += data))
    const worker: Worker = { child, output: () => output, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) }
    workers.push(worker)
    await until(() => output.includes('working queue'), `worker ${child.pid} to start`, 60_000, () => output)
    return worker
  }

  const alive = () => workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null)
  const byPid = (pid: number) => workers.find((worker) => worker.child.pid === pid) as Worker

  async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, show?: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${show ? `:\n${show()}` : ''}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  async function dispatch(input: Record<string, unknown>): Promise<{ run: RunRecord; list: string }> {
    const list = `${prefix}steps:${randomUUID()}`
    const { run } = await runs.dispatch({ route: '/steps', input: { list, ...input }, principal: { type: 'user', id: 'tester', permissions: [] } })
    return { run, list }
  }

  async function ended(runId: string, statuses: RunStatus[] = ['success', 'error', 'timeout', 'interrupted', 'cancelled']): Promise<RunRecord> {
    let run: RunRecord | undefined
    await until(async () => {
      run = await runs.store.get(runId)
      return run !== undefined && statuses.includes(run.status)
    }, `run ${runId} to end`, 45_000, () => workers.map((worker) => worker.output()).join('\n'))
    return run as RunRecord
  }

  /** Each recorded step, as `[step, pid]`. */
  async function steps(list: string): Promise<Array<[string, number]>> {
    return (await redis.lrange(list, 0, -1)).map((entry) => {
      const [step, pid] = entry.split(':')
      return [step, Number(pid)]
    })
  }
  const count = (recorded: Array<[string, number]>, step: string) => recorded.filter(([name]) => name === step).length

  it('two workers share the runs: each run executes once, every step once', async () => {
    await until(async () => (await runs.queue.workers()) === 2, 'both workers to consume the queue')
    const dispatched = await Promise.all([1, 2, 3, 4].map(() => dispatch({ slowMs: 300 })))
    const pids = new Set<number>()
    for (const { run, list } of dispatched) {
      expect(await ended(run.id)).toMatchObject({ status: 'success', attempts: 1, output: { done: ['first', 'second', 'third'] } })
      const recorded = await steps(list)
      expect(recorded.map(([step]) => step)).toEqual(['first', 'second-started', 'second', 'third'])
      for (const [, pid] of recorded) pids.add(pid)
    }
    expect(pids.size).toBe(2)
  })

  it('a worker killed mid-run: the other finishes the run, and the steps completed before the crash do not run again', async () => {
    const { run, list } = await dispatch({ slowMs: 4000 })
    await until(async () => count(await steps(list), 'second-started') === 1, 'the second step to start')
    const [, holder] = (await steps(list)).find(([step]) => step === 'second-started') as [string, number]
    byPid(holder).child.kill('SIGKILL')
    const done = await ended(run.id)
    expect(done).toMatchObject({ status: 'success', attempts: 2 })
    const recorded = await steps(list)
    expect(count(recorded, 'first')).toBe(1)
    expect(count(recorded, 'second-started')).toBe(2)
    expect(count(recorded, 'third')).toBe(1)
    expect(recorded.filter(([step]) => step === 'third').map(([, pid]) => pid)).not.toContain(holder)
    await startWorker()
  }, 90_000)

  it('cancels a run held by another process: it ends cancelled and its later steps never run', async () => {
    const { run, list } = await dispatch({ slowMs: 60_000 })
    await until(async () => count(await steps(list), 'second-started') === 1, 'the second step to start')
    await runs.cancel(run.id)
    expect(await ended(run.id)).toMatchObject({ status: 'cancelled', errorCode: 'E_RUN_CANCELLED' })
    // The step waits 60 s unless its signal aborts: the job leaving `active` shows the holder stopped it.
    await until(async () => (await runs.queue.counts()).active === 0, 'the worker holding the run to stop it', 10_000)
    const recorded = await steps(list)
    expect(count(recorded, 'second')).toBe(0)
    expect(count(recorded, 'third')).toBe(0)
  }, 60_000)

  it('bounds attempts: a run that keeps failing ends in error with its code after QUEUE_ATTEMPTS', async () => {
    const { run, list } = await dispatch({ fail: true })
    expect(await ended(run.id)).toMatchObject({ status: 'error', errorCode: 'E_TOOL_FAILED', attempts: 2 })
    expect(count(await steps(list), 'second-started')).toBe(2)
    expect(count(await steps(list), 'first')).toBe(1)
  }, 60_000)

  it('SIGTERM drains: the run stops at its next step, goes back to the queue and completes on the other worker; the worker exits 0', async () => {
    await until(async () => (await runs.queue.workers()) === 2, 'two workers')
    const { run, list } = await dispatch({ slowMs: 2500 })
    await until(async () => count(await steps(list), 'second-started') === 1, 'the second step to start')
    const [, holder] = (await steps(list)).find(([step]) => step === 'second-started') as [string, number]
    const draining = byPid(holder)
    draining.child.kill('SIGTERM')
    expect(await draining.exited).toBe(0)
    const done = await ended(run.id)
    expect(done.status).toBe('success')
    const recorded = await steps(list)
    expect(recorded.filter(([step]) => step === 'first' || step === 'second').every(([, pid]) => pid === holder)).toBe(true)
    expect(count(recorded, 'first')).toBe(1)
    expect(count(recorded, 'second')).toBe(1)
    const third = recorded.filter(([step]) => step === 'third')
    expect(third).toHaveLength(1)
    expect(third[0][1]).not.toBe(holder)
  }, 60_000)

  it('queue:status reports runs per status, jobs per state and the workers alive', async () => {
    const child = spawn(process.execPath, [cli, 'queue:status', '--json'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (data) => (stdout += data))
    child.stderr!.on('data', (data) => (stderr += data))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect({ code, stderr }).toMatchObject({ code: 0 })
    const status = JSON.parse(stdout)
    expect(status).toMatchObject({ queue: queueName, driver: 'bullmq', workers: alive().length })
    expect(status.runs).toMatchObject({ success: 6, cancelled: 1, error: 1, pending: 0, running: 0 })
    expect(status.jobs).toMatchObject({ waiting: 0, active: 0 })
  }, 60_000)
})
