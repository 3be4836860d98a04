import { spawnSync } from 'node:child_process'
import { readCpuSeconds } from '../harness/cpu'
import { readProcessMemory, toMb } from '../harness/rss'

/** A pid that existed and is gone: a process that has already exited. */
function exitedPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid as number
}

describe('reading a process from /proc', () => {
  it('reads this process resident memory and its peak', () => {
    const memory = readProcessMemory(process.pid)
    expect(memory?.rss).toBeGreaterThan(10 * 1024 * 1024)
    expect(memory?.peak).toBeGreaterThanOrEqual(memory?.rss ?? Infinity)
    expect(toMb(memory?.rss ?? 0)).toBeGreaterThan(10)
  })

  it('reads CPU time that grows while the process computes', () => {
    const before = readCpuSeconds(process.pid) as number
    const until = Date.now() + 150
    let spin = 0
    while (Date.now() < until) spin++
    expect(spin).toBeGreaterThan(0)
    expect(readCpuSeconds(process.pid)).toBeGreaterThan(before)
  })

  it('answers undefined for a process that is gone', () => {
    const pid = exitedPid()
    expect(readProcessMemory(pid)).toBeUndefined()
    expect(readCpuSeconds(pid)).toBeUndefined()
  })
})
