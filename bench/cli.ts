import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Output } from '../framework/console/output'
import { runBusBench } from './bus_bench'
import { buildProject } from './harness/build_project'
import { ProcessGuard } from './harness/process_guard'
import { runLoadBench } from './load_bench'
import { runMemoryBench } from './memory_bench'
import { parseBenchArgs, USAGE, type BenchOptions } from './options'
import { runQueueBench } from './queue_bench'
import { runRagBench } from './rag_bench'
import { runTeamBench } from './team_bench'

/** The repository root: bench/ lives directly under it. */
const ROOT = resolve(__dirname, '..')

/**
 * Entry of `npm run bench [-- load|memory|rag|bus|team|queue ...]`: parses the arguments,
 * builds a copy of the project with `langvel build` (the servers run the
 * compiled JavaScript, as in production), runs the benchmark under a ProcessGuard (no server outlives it, whatever
 * happens) and resolves with the exit code: 0 when the run completed —
 * missed targets included, they are reported, not asserted — 1 on an error,
 * 2 on bad arguments.
 *
 * @example
 * main(['memory', '--requests', '50000']).then((code) => (process.exitCode = code))
 */
export async function main(argv: string[]): Promise<number> {
  const output = new Output()
  // Retrieval runs in this process against a Chroma of its own: no server build, its own options.
  if (argv[0] === 'rag') return runRagBench(argv.slice(1), { root: ROOT, output })
  // The message bus is measured in this process too: no server either.
  if (argv[0] === 'bus') return runBusBench(argv.slice(1), { root: ROOT, output })
  // Teams run in this process on the fake model, against the same team hand-written in LangGraph.
  if (argv[0] === 'team') return runTeamBench(argv.slice(1), { root: ROOT, output })
  // Background runs: its own build, scratch databases and queue:work processes, under its own guard.
  if (argv[0] === 'queue') return runQueueBench(argv.slice(1), { root: ROOT, output })
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
  return guard.run(async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'langvel-bench-build-'))
    guard.defer(() => rmSync(scratch, { recursive: true, force: true }))
    output.info(`building a copy of ${options.ref ? `commit ${options.ref}` : 'the working tree'} with langvel build (the servers run the compiled JavaScript)`)
    const build = await buildProject({ root: ROOT, folder: join(scratch, 'project'), ref: options.ref, adopt: (child) => void guard.adopt(child) })
    output.info(`built ${build.source} in ${build.seconds} s: ${build.cli}`)
    const context = { root: ROOT, build, guard, output }
    if (options.kind === 'memory') await runMemoryBench(options, context)
    else await runLoadBench(options, context)
    return 0
  })
}
