import { parseQueueBenchArgs } from '../queue_bench'
import { machineBusyPercent, parseMachineCpu, summarizeRss, summarizeRuns, type RunTimes } from '../queue_phases'

const NOW = new Date('2026-01-02T03:04:05.678Z')

describe('parseQueueBenchArgs', () => {
  it('defaults to 2,000 runs on 1 then 2 workers at the queue concurrency, the postgres checkpointer and the local services', () => {
    expect(parseQueueBenchArgs([], NOW)).toEqual({
      name: 'queue-2026-01-02T03-04-05-678Z',
      runs: 2000,
      workers: [1, 2],
      concurrency: 4,
      dispatchers: 16,
      rate: 0,
      checkpointer: 'postgres',
      postgresUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
      redisUrl: 'redis://127.0.0.1:6379/15',
      json: false,
      help: false,
    })
  })

  it('reads every option', () => {
    const options = parseQueueBenchArgs([
      '--runs', '500', '--workers', '4, 1,2', '--concurrency', '8', '--dispatchers', '4', '--rate', '50', '--checkpointer', 'memory',
      '--postgres', 'postgres://bench@db:5432/admin', '--redis', 'redis://cache:6379/3', '--name', 'nightly', '--json',
    ])
    expect(options).toEqual({
      name: 'nightly',
      runs: 500,
      workers: [4, 1, 2],
      concurrency: 8,
      dispatchers: 4,
      rate: 50,
      checkpointer: 'memory',
      postgresUrl: 'postgres://bench@db:5432/admin',
      redisUrl: 'redis://cache:6379/3',
      json: true,
      help: false,
    })
    expect(parseQueueBenchArgs(['-h']).help).toBe(true)
  })

  it('refuses what it cannot read, naming the flag', () => {
    expect(() => parseQueueBenchArgs(['--runs', '0'])).toThrow('--runs "0"')
    expect(() => parseQueueBenchArgs(['--workers', '1,x'])).toThrow('--workers "x"')
    expect(() => parseQueueBenchArgs(['--workers', '0'])).toThrow('--workers "0"')
    expect(() => parseQueueBenchArgs(['--workers', '2,2'])).toThrow('name each worker count once')
    expect(() => parseQueueBenchArgs(['--concurrency', '-1'])).toThrow('--concurrency')
    expect(() => parseQueueBenchArgs(['--rate', '1.5'])).toThrow('--rate "1.5"')
    expect(() => parseQueueBenchArgs(['--checkpointer', 'sqlite'])).toThrow('--checkpointer "sqlite"')
    expect(() => parseQueueBenchArgs(['--postgres', 'mysql://x/y'])).toThrow('--postgres')
    expect(() => parseQueueBenchArgs(['--redis', 'localhost:6379'])).toThrow('--redis')
    expect(() => parseQueueBenchArgs(['--name', '../x'])).toThrow('--name')
    expect(() => parseQueueBenchArgs(['--threads', '4'])).toThrow()
    expect(() => parseQueueBenchArgs(['queue'])).toThrow('unexpected argument: queue')
  })
})

describe('summarizeRuns', () => {
  const run = (createdAt: number, startedAt: number | null, endedAt: number | null, status = 'success', attempts = 1): RunTimes => ({ status, attempts, createdAt, startedAt, endedAt })

  it('counts from the first enqueue to the last end, and reads the latencies from the rows', () => {
    const rows = [run(1000, 1010, 1050), run(1001, 1031, 1100), run(1002, 1102, 1500, 'error', 3), run(1003, 1203, 3000)]
    const figures = summarizeRuns(rows, 1000)
    expect(figures).toMatchObject({ runs: 4, statuses: { success: 3, error: 1 }, retried: 1, seconds: 2, runsPerSecond: 2 })
    expect(figures.enqueueToStartMs).toMatchObject({ p50: 30, p99: 200, max: 200 })
    expect(figures.startToEndMs).toMatchObject({ p50: 69, max: 1797 })
  })

  it('leaves runs that never started out of the latencies', () => {
    const figures = summarizeRuns([run(1000, 1020, 1040), run(1000, null, 1001, 'cancelled')], 1000)
    expect(figures.enqueueToStartMs.max).toBe(20)
    expect(figures.startToEndMs.max).toBe(20)
    expect(figures.statuses).toEqual({ success: 1, cancelled: 1 })
  })
})

describe('summarizeRss', () => {
  const mb = (value: number) => value * 1024 * 1024

  it('takes idle as the last reading before the first enqueue, the medians of the second and last quarters, the peak and the last reading', () => {
    const samples: Array<[number, number]> = [[900, mb(100)], [1000, mb(101)], [1250, mb(130)], [1400, mb(120)], [1500, mb(150)], [1750, mb(140)], [1900, mb(160)], [2000, mb(141)]]
    expect(summarizeRss(samples, 1000)).toEqual({
      startMb: 101,
      secondQuarterMedianMb: 130,
      lastQuarterMedianMb: 141,
      peakMb: 160,
      endMb: 141,
      samples: 8,
      series: [[-0.1, 100], [0, 101], [0.25, 130], [0.4, 120], [0.5, 150], [0.75, 140], [0.9, 160], [1, 141]],
    })
  })

  it('is null without a reading', () => {
    expect(summarizeRss([], 1000)).toBeNull()
  })
})

describe('machine CPU', () => {
  it('reads busy and total jiffies from /proc/stat, idle and iowait counting as not busy', () => {
    const stat = 'cpu  100 5 50 800 40 3 2 0 7 0\ncpu0 50 2 25 400 20 1 1 0 0 0\nintr 1234\n'
    expect(parseMachineCpu(stat)).toEqual({ busy: 160, total: 1000 })
    expect(parseMachineCpu('intr 1234\n')).toBeUndefined()
  })

  it('gives the share of all cores busy between two readings', () => {
    expect(machineBusyPercent({ busy: 160, total: 1000 }, { busy: 460, total: 1400 })).toBe(75)
    expect(machineBusyPercent(undefined, { busy: 460, total: 1400 })).toBeNull()
    expect(machineBusyPercent({ busy: 160, total: 1000 }, { busy: 160, total: 1000 })).toBeNull()
  })
})
