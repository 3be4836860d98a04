import { parseBenchArgs } from '../options'

const NOW = new Date('2026-01-02T03:04:05.678Z')

describe('parseBenchArgs', () => {
  it('defaults to the load benchmark over the stack and persistence targets, 100 connections, 4 s warm-up and 5 s measured, 3 rounds', () => {
    const options = parseBenchArgs([], NOW)
    expect(options).toMatchObject({ kind: 'load', connections: 100, warmup: 4, duration: 5, rounds: 3, keepServers: false, profile: false })
    expect(options.targets).toEqual([
      'baseline',
      'echo',
      'secure_echo',
      'echo_memory',
      'echo_memory_exit',
      'echo_sqlite',
      'echo_sqlite_exit',
      'echo_postgres',
      'echo_postgres_exit',
    ])
    expect(options.name).toBe('load-2026-01-02T03-04-05-678Z')
    expect(options.postgresUrl).toBe('postgres://postgres@127.0.0.1:5432/postgres')
    expect(options.ref).toBeUndefined()
  })

  it('runs the memory benchmark on echo with 50,000 measured requests when given `memory`', () => {
    expect(parseBenchArgs(['memory'], NOW)).toMatchObject({ kind: 'memory', targets: ['echo'], requests: 50_000, warmupRequests: 5000 })
  })

  it('runs the load benchmark on the tracing or sdk preset when given `tracing` or `sdk`, and --targets still chooses', () => {
    expect(parseBenchArgs(['tracing'], NOW)).toMatchObject({ kind: 'tracing', targets: ['baseline', 'echo', 'echo_tracing'], name: 'tracing-2026-01-02T03-04-05-678Z' })
    expect(parseBenchArgs(['sdk'], NOW)).toMatchObject({ kind: 'sdk', targets: ['echo', 'echo_sdk'] })
    expect(parseBenchArgs(['sdk', '--targets', 'echo_sdk,echo'], NOW).targets).toEqual(['echo_sdk', 'echo'])
    expect(parseBenchArgs(['--targets', 'tracing,sdk'], NOW).targets).toEqual(['baseline', 'echo', 'echo_tracing', 'echo_sdk'])
    expect(() => parseBenchArgs(['traces'], NOW)).toThrow(/unknown benchmark "traces": expected one of load, memory, tracing, sdk/)
  })

  it('reads flags and repeated --env pairs', () => {
    const options = parseBenchArgs(['--name', 'nightly', '--targets', 'echo, baseline', '--rounds', '5', '--env', 'A_B=1', '--env', 'URL=redis://x/15?a=b'])
    expect(options).toMatchObject({ name: 'nightly', targets: ['echo', 'baseline'], rounds: 5, env: { A_B: '1', URL: 'redis://x/15?a=b' } })
    expect(parseBenchArgs(['--keep-servers']).keepServers).toBe(true)
    expect(parseBenchArgs(['--ref', 'HEAD~1']).ref).toBe('HEAD~1')
    expect(parseBenchArgs(['--postgres', 'postgres://bench:pw@db:5432/postgres']).postgresUrl).toBe('postgres://bench:pw@db:5432/postgres')
  })

  it('expands presets among target names, once each', () => {
    expect(parseBenchArgs(['--targets', 'baseline,persistence,echo_sqlite']).targets).toEqual([
      'baseline',
      'echo_memory',
      'echo_memory_exit',
      'echo_sqlite',
      'echo_sqlite_exit',
      'echo_postgres',
      'echo_postgres_exit',
    ])
    expect(parseBenchArgs(['--targets', 'stack']).targets).toEqual(['baseline', 'echo', 'secure_echo'])
  })

  it.each([
    [['--duration', 'ten']],
    [['--connections', '0']],
    [['--name', '../escape']],
    [['--env', 'not a pair']],
    [['--bogus']],
    [['stress']],
    [['memory', '--targets', 'echo,baseline']],
    [['memory', '--targets', 'persistence']],
    [['--ref', '--output=/tmp/x']],
    [['--postgres', 'mysql://localhost/db']],
  ])('refuses %j instead of benchmarking the defaults', (argv) => {
    expect(() => parseBenchArgs(argv)).toThrow()
  })
})
