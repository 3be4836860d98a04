import { parseBenchArgs } from '../options'

const NOW = new Date('2026-01-02T03:04:05.678Z')

describe('parseBenchArgs', () => {
  it('defaults to the load benchmark over every target, 100 connections, 5 s warm-up and 10 s measured', () => {
    const options = parseBenchArgs([], NOW)
    expect(options).toMatchObject({ kind: 'load', targets: ['baseline', 'echo', 'secure_echo'], connections: 100, warmup: 5, duration: 10, rounds: 3, keepServers: false, profile: false })
    expect(options.name).toBe('load-2026-01-02T03-04-05-678Z')
  })

  it('runs the memory benchmark on echo with 50,000 measured requests when given `memory`', () => {
    expect(parseBenchArgs(['memory'], NOW)).toMatchObject({ kind: 'memory', targets: ['echo'], requests: 50_000, warmupRequests: 5000 })
  })

  it('reads flags and repeated --env pairs', () => {
    const options = parseBenchArgs(['--name', 'nightly', '--targets', 'echo, baseline', '--rounds', '5', '--env', 'A_B=1', '--env', 'URL=redis://x/15?a=b'])
    expect(options).toMatchObject({ name: 'nightly', targets: ['echo', 'baseline'], rounds: 5, env: { A_B: '1', URL: 'redis://x/15?a=b' } })
    expect(parseBenchArgs(['--keep-servers']).keepServers).toBe(true)
  })

  it.each([
    [['--duration', 'ten']],
    [['--connections', '0']],
    [['--name', '../escape']],
    [['--env', 'not a pair']],
    [['--bogus']],
    [['stress']],
    [['memory', '--targets', 'echo,baseline']],
  ])('refuses %j instead of benchmarking the defaults', (argv) => {
    expect(() => parseBenchArgs(argv)).toThrow()
  })
})
