import { resolve } from 'node:path'
import { Output } from '../framework/console/output'
import { ProcessGuard } from './harness/process_guard'
import { runLoadBench } from './load_bench'
import { runMemoryBench } from './memory_bench'
import { parseBenchArgs, USAGE, type BenchOptions } from './options'

/** The repository root: bench/ lives directly under it. */
const ROOT = resolve(__dirname, '..')

/**
 * Entry of `npm run bench [-- load|memory ...]`: parses the arguments, runs
 * the benchmark under a ProcessGuard (no server outlives it, whatever
 * happens) and resolves with the exit code: 0 when the run completed —
 * missed targets included, they are reported, not asserted — 1 on an error,
 * 2 on bad arguments.
 *
 * @example
 * main(['memory', '--requests', '50000']).then((code) => (process.exitCode = code))
 */
export async function main(argv: string[]): Promise<number> {
  const output = new Output()
  let options: BenchOptions
  try {
    options = parseBenchArgs(argv)
  } catch (error) {
    output.error(error instanceof Error ? error.message : String(error))
    process.stderr.write(`\n${USAGE}`)
    return 2
  }
  if (options.help) {
    output.line(USAGE)
    return 0
  }
  const guard = new ProcessGuard()
  const context = { root: ROOT, guard, output }
  return guard.run(async () => {
    if (options.kind === 'memory') await runMemoryBench(options, context)
    else await runLoadBench(options, context)
    return 0
  })
}
