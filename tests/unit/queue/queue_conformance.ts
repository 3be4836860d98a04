import type { RunJob, RunQueue } from '../../../framework/contracts/run_queue'
import { RunReleased } from '../../../framework/queue/run_released'

/**
 * The behaviour every run queue driver shares. `make` builds a fresh queue
 * (its own name, so drivers on Redis do not see each other's jobs) and `peer`
 * a second handle on the same queue, as another process would have.
 */
export function runQueueConformance(label: string, make: (overrides?: Record<string, unknown>) => RunQueue, peer?: (queue: RunQueue) => RunQueue) {
  describe(`run queue conformance: ${label}`, () => {
    const open: RunQueue[] = []
    const fresh = (overrides?: Record<string, unknown>) => {
      const queue = make(overrides)
      open.push(queue)
      return queue
    }
    afterEach(async () => {
      await Promise.all(open.splice(0).map((queue) => queue.close(200)))
    })

    const until = async (check: () => Promise<boolean> | boolean, ms = 10_000) => {
      const end = Date.now() + ms
      while (!(await check())) {
        if (Date.now() > end) throw new Error('condition not met in time')
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    }

    it('runs each enqueued run once, with the run id as the job id, and a duplicate enqueue is a no-op', async () => {
      const queue = fresh()
      const seen: string[] = []
      await queue.enqueue('run-a')
      await queue.enqueue('run-a')
      await queue.enqueue('run-b')
      await queue.process(async (job) => {
        seen.push(job.runId)
      })
      await until(async () => (await queue.counts()).completed === 2)
      await queue.enqueue('run-a')
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(seen.sort()).toEqual(['run-a', 'run-b'])
    })

    it('never runs more than `concurrency` jobs at once', async () => {
      const queue = fresh()
      let running = 0
      let most = 0
      await queue.process(async () => {
        running += 1
        most = Math.max(most, running)
        await new Promise((resolve) => setTimeout(resolve, 50))
        running -= 1
      }, { concurrency: 2 })
      for (let i = 0; i < 6; i++) await queue.enqueue(`c-${i}`)
      await until(async () => (await queue.counts()).completed === 6)
      expect(most).toBe(2)
    })

    it('retries a failing run with backoff up to its attempts, then keeps it as failed', async () => {
      const queue = fresh({ attempts: 3, backoffMs: 20 })
      const attempts: number[] = []
      await queue.process(async (job: RunJob) => {
        attempts.push(job.attempt)
        throw new Error('boom')
      })
      await queue.enqueue('fails')
      await until(async () => (await queue.counts()).failed === 1)
      expect(attempts).toEqual([1, 2, 3])
      const [failed] = await queue.failed()
      expect(failed).toMatchObject({ runId: 'fails', attempts: 3, error: 'boom' })
    })

    it('retries a failed or completed job on demand, with all its attempts again, and flushes failed jobs', async () => {
      const queue = fresh({ attempts: 3, backoffMs: 10 })
      let fail = true
      const done: string[] = []
      const r1Attempts: number[] = []
      await queue.process(async (job) => {
        if (job.runId === 'r1') r1Attempts.push(job.attempt)
        if ((fail && job.runId === 'r1') || job.runId.startsWith('f-')) throw new Error('not yet')
        done.push(job.runId)
      })
      await queue.enqueue('r1')
      await queue.enqueue('r2')
      await until(async () => (await queue.counts()).failed === 1)
      expect(r1Attempts).toEqual([1, 2, 3])
      // A retried job starts over: every attempt again, not just one more.
      await expect(queue.retry('r1')).resolves.toBe(true)
      await until(async () => r1Attempts.length === 6 && (await queue.counts()).failed === 1)
      expect(r1Attempts).toEqual([1, 2, 3, 1, 2, 3])
      fail = false
      await expect(queue.retry('r1')).resolves.toBe(true)
      await until(() => done.includes('r1'))
      expect((await queue.counts()).failed).toBe(0)
      // A completed job runs again on retry; one still queued or running is left alone.
      await expect(queue.retry('r2')).resolves.toBe(true)
      await until(() => done.filter((id) => id === 'r2').length === 2)
      await queue.enqueue('f-3')
      await queue.enqueue('f-4')
      await until(async () => (await queue.counts()).failed === 2)
      expect(await queue.flushFailed()).toBe(2)
      expect(await queue.failed()).toEqual([])
    })

    it('tells onFailed about a job that failed for good, not about attempts that will be retried', async () => {
      const queue = fresh({ attempts: 2, backoffMs: 10 })
      const failures: unknown[] = []
      await queue.process(async () => {
        throw new Error('always')
      }, { onFailed: (failure) => void failures.push(failure) })
      await queue.enqueue('gives-up')
      await until(() => failures.length === 1)
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(failures).toEqual([{ runId: 'gives-up', stalled: false, error: 'always' }])
    })

    it('cancels a waiting run before it starts and a running one through its signal', async () => {
      const queue = fresh()
      const started: string[] = []
      const ended: Array<{ runId: string; reason: unknown }> = []
      await queue.process(async (job) => {
        started.push(job.runId)
        await new Promise<void>((resolve) => job.signal.addEventListener('abort', () => resolve(), { once: true }))
        ended.push({ runId: job.runId, reason: job.signal.reason })
      }, { concurrency: 1 })
      await queue.enqueue('holder')
      await until(() => started.includes('holder'))
      await expect(queue.retry('holder')).resolves.toBe(false)
      await queue.enqueue('queued')
      await expect(queue.cancel('queued')).resolves.toBe(true)
      const canceller = peer ? peer(queue) : queue
      if (canceller !== queue) open.push(canceller)
      await expect(canceller.cancel('holder')).resolves.toBe(true)
      await until(() => ended.length === 1)
      expect(ended[0]).toMatchObject({ runId: 'holder', reason: { code: 'E_RUN_CANCELLED' } })
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(started).toEqual(['holder'])
      await expect(queue.cancel('never-enqueued')).resolves.toBe(false)
    })

    it('close lets held runs finish within the grace period', async () => {
      const queue = fresh()
      let finished = false
      let began = false
      await queue.process(async () => {
        began = true
        await new Promise((resolve) => setTimeout(resolve, 100))
        finished = true
      })
      await queue.enqueue('graceful')
      await until(() => began)
      await queue.close(5000)
      expect(finished).toBe(true)
      await expect(queue.enqueue('late')).rejects.toMatchObject({ code: 'E_QUEUE_CLOSED' })
    })

    it('past the grace period, close drains held runs: a released run goes back without counting an attempt', async () => {
      const queue = fresh({ attempts: 1 })
      let drained: unknown
      let began = false
      await queue.process(async (job) => {
        began = true
        await new Promise<void>((resolve) => job.drain.addEventListener('abort', () => resolve(), { once: true }))
        drained = job.runId
        throw new RunReleased(job.runId)
      })
      await queue.enqueue('drained')
      await until(() => began)
      await queue.close(100)
      expect(drained).toBe('drained')
      if (peer) {
        const other = peer(queue)
        open.push(other)
        const counts = await other.counts()
        expect(counts).toMatchObject({ waiting: 1, failed: 0, active: 0 })
      }
    })

    it('refuses invalid run ids with E_INVALID_INPUT', async () => {
      const queue = fresh()
      // Every driver refuses the same ids: no ':' (a Redis key separator), not all digits (BullMQ's own ids).
      for (const id of ['bad id with spaces', 'a:b', '12345', '', 'x'.repeat(129)]) {
        await expect(queue.enqueue(id)).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
      }
      await expect(queue.cancel('a:b')).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
    })
  })
}
