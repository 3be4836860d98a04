import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import { MemorySaver } from '@langchain/langgraph'
import { Registry } from 'prom-client'
import { deepEqual } from '../framework/agents/node_runtime'
import type { Output } from '../framework/console/output'
import { LlmManager, LlmMetrics, OFFLINE_CONFIG, type FakeCall } from '../framework/llm'
import { clearLlmManagerResolver, setLlmManagerResolver } from '../framework/llm/llm_runtime'
import { integer, resultName } from './options'
import { writeResult } from './harness/write_result'
import { BenchTeamAgent, handWrittenTeam } from './team_graphs'

export const TEAM_USAGE = `Usage: npm run bench -- team [options]

  Runs the same three-member supervisor team on the offline fake model,
  declared with Langvel (SupervisorAgent) and written directly in LangGraph,
  in interleaved rounds, and reports the cost of one team run on each side.
  Both sides are checked to give the same final state and make the same model
  calls before anything is measured.

  --runs <n>       measured team runs per side per round (default 100)
  --rounds <n>     rounds; each side runs once per round, the first side alternating (default 10)
  --warmup <n>     unmeasured runs per side before the first round (default 300)
  --name <name>    result file bench/results/<name>.json (default: team-<timestamp>)
  --json           print the result as JSON instead of tables
  -h, --help       this text
`

export interface TeamBenchOptions {
  name: string
  runs: number
  rounds: number
  warmup: number
  json: boolean
  help: boolean
}

export function parseTeamBenchArgs(argv: string[], now = new Date()): TeamBenchOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      runs: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (positionals.length > 0) throw new Error(`unexpected argument: ${positionals.join(' ')}`)
  return {
    name: resultName(values.name, 'team', now),
    runs: integer('--runs', values.runs, 100, 1, 1_000_000),
    rounds: integer('--rounds', values.rounds, 10, 1, 1000),
    warmup: integer('--warmup', values.warmup, 300, 0, 1_000_000),
    json: values.json ?? false,
    help: values.help ?? false,
  }
}

export type Side = 'langvel' | 'langgraph'
export const SIDES: readonly Side[] = ['langvel', 'langgraph']

/** The task every run gets. */
export const TEAM_TASK = { task: 'Announce the 2.0 release to the users of the command line tool' }

type Raw = Record<string, any>

/** Both teams on one fake model: the same Llm object (LLM_PROVIDER=fake, through an LlmManager) and a MemorySaver each. */
export interface TeamSides {
  run: Record<Side, () => Promise<Raw>>
  manager: LlmManager
  close(): void
}

/**
 * Builds both teams on the manager's model. The Langvel side reaches the
 * model as an application does (`this.llm`, resolved through the manager);
 * the hand-written side is handed the same manager's Llm.
 */
export async function createTeamSides(manager: LlmManager = new LlmManager({ config: OFFLINE_CONFIG, metrics: new LlmMetrics(new Registry()) })): Promise<TeamSides> {
  const resolve = () => manager
  setLlmManagerResolver(resolve)
  const langvel = await new BenchTeamAgent().compile({ checkpointer: new MemorySaver() })
  const langgraph = handWrittenTeam(manager.llm(), new MemorySaver())
  return {
    manager,
    run: {
      langvel: async () => (await langvel.invoke(TEAM_TASK)).output,
      langgraph: () => langgraph.invoke(TEAM_TASK, { configurable: { thread_id: randomUUID() } }),
    },
    close: () => void clearLlmManagerResolver(resolve),
  }
}

/** What the model was asked, comparable across sides. */
function callSummary(call: FakeCall): unknown {
  return { messages: call.messages.map((message) => [message.type, message.text]), tools: call.tools, toolChoice: call.toolChoice, model: call.model }
}

/** The state both teams keep: the task and the members' answers (the hand-written side's turn list is its routing bookkeeping). */
export function teamResult(state: Raw): Raw {
  return { task: state.task, answers: state.answers }
}

export interface TeamRunOutcome {
  state: Raw
  modelCalls: unknown[]
}

/**
 * Runs each side once and throws unless both ended in the same state after
 * the same model calls (prompts, tools, order): the benchmark compares like
 * with like or not at all.
 */
export async function checkEquivalence(sides: TeamSides): Promise<Record<Side, TeamRunOutcome>> {
  const script = sides.manager.fake()
  const outcome = {} as Record<Side, TeamRunOutcome>
  for (const side of SIDES) {
    script.reset()
    const state = teamResult(await sides.run[side]())
    outcome[side] = { state, modelCalls: script.calls.map(callSummary) }
  }
  script.reset()
  const { langvel, langgraph } = outcome
  if (!deepEqual(langvel.state, langgraph.state)) {
    throw new Error(`the two teams ended in different states:\nlangvel:   ${JSON.stringify(langvel.state)}\nlanggraph: ${JSON.stringify(langgraph.state)}`)
  }
  if (langvel.modelCalls.length !== 7 || !deepEqual(langvel.modelCalls, langgraph.modelCalls)) {
    const first = langvel.modelCalls.findIndex((call, index) => !deepEqual(call, langgraph.modelCalls[index]))
    throw new Error(
      `the two teams made different model calls (${langvel.modelCalls.length} and ${langgraph.modelCalls.length}; 7 expected: 4 routing, 3 members); first difference at call ${first + 1}:\n` +
        `langvel:   ${JSON.stringify(langvel.modelCalls[first])}\nlanggraph: ${JSON.stringify(langgraph.modelCalls[first])}`,
    )
  }
  return outcome
}

export interface SideRound {
  /** Median wall time of one team run. */
  medianMs: number
  /** Process CPU time (user + system) over the round's runs, per run. */
  cpuMs: number
}

async function measure(run: () => Promise<unknown>, runs: number): Promise<SideRound & { samples: number[] }> {
  const samples: number[] = []
  const cpu = process.cpuUsage()
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    await run()
    samples.push(performance.now() - started)
  }
  const used = process.cpuUsage(cpu)
  return { medianMs: median(samples), cpuMs: (used.user + used.system) / 1000 / runs, samples }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

const round3 = (value: number) => Math.round(value * 1000) / 1000

/**
 * `npm run bench -- team`: Langvel's supervisor team against the same team
 * hand-written in LangGraph, in this process. Resolves with the exit code.
 *
 * @example
 * await runTeamBench(['--runs', '200'], { root, output })
 */
export async function runTeamBench(argv: string[], context: { root: string; output: Output }): Promise<number> {
  const { output, root } = context
  let options: TeamBenchOptions
  try {
    options = parseTeamBenchArgs(argv)
  } catch (error) {
    output.error(error instanceof Error ? error.message : String(error))
    process.stderr.write(`\n${TEAM_USAGE}`)
    return 2
  }
  if (options.help) {
    output.line(TEAM_USAGE)
    return 0
  }
  const log = (text: string) => (options.json ? undefined : output.info(text))
  const sides = await createTeamSides()
  try {
    const checked = await checkEquivalence(sides)
    log(`both teams end in the same state after the same ${checked.langvel.modelCalls.length} model calls (4 routing, 3 members)`)
    const script = sides.manager.fake()
    for (const side of SIDES) for (let i = 0; i < options.warmup; i++) await sides.run[side]()
    script.reset()

    const rounds: Array<Record<Side, SideRound> & { first: Side; ratioMs: number; ratioCpu: number }> = []
    const all: Record<Side, number[]> = { langvel: [], langgraph: [] }
    const cpuTotal: Record<Side, number> = { langvel: 0, langgraph: 0 }
    for (let index = 0; index < options.rounds; index++) {
      // The side that goes first alternates, so warming and drift favour neither.
      const order = index % 2 === 0 ? SIDES : [...SIDES].reverse()
      const figures = {} as Record<Side, SideRound>
      for (const side of order) {
        const { samples, ...round } = await measure(sides.run[side], options.runs)
        figures[side] = { medianMs: round3(round.medianMs), cpuMs: round3(round.cpuMs) }
        all[side].push(...samples)
        cpuTotal[side] += round.cpuMs
        // The fake model records every call: forget them between blocks.
        script.reset()
      }
      rounds.push({ ...figures, first: order[0], ratioMs: round3(figures.langvel.medianMs / figures.langgraph.medianMs), ratioCpu: round3(figures.langvel.cpuMs / figures.langgraph.cpuMs) })
      log(`round ${index + 1}/${options.rounds} (${order[0]} first): langvel ${figures.langvel.medianMs} ms, langgraph ${figures.langgraph.medianMs} ms per run`)
    }

    const summary = (side: Side) => ({ medianMs: round3(median(all[side])), cpuMs: round3(cpuTotal[side] / options.rounds) })
    const langvel = summary('langvel')
    const langgraph = summary('langgraph')
    const ratios = rounds.map((entry) => entry.ratioMs)
    const cpuRatios = rounds.map((entry) => entry.ratioCpu)
    const result = {
      kind: 'team',
      name: options.name,
      date: new Date().toISOString(),
      node: process.version,
      options: { runs: options.runs, rounds: options.rounds, warmup: options.warmup },
      setup: {
        model: 'fake (LLM_PROVIDER=fake), one Llm shared by both sides',
        routing: 'the model: the supervisor asks for the next member with a structured answer; the fake model names each member once, then done',
        modelCallsPerRun: checked.langvel.modelCalls.length,
        checkpointer: 'MemorySaver on both sides, a new thread per run',
      },
      langvel,
      langgraph,
      ratio: { ms: round3(langvel.medianMs / langgraph.medianMs), cpu: round3(langvel.cpuMs / langgraph.cpuMs) },
      /** The rounds' ratios: each pairs two blocks run back to back, so a slow spell of the machine weighs on both sides of it. */
      spread: {
        ratioMs: { min: round3(Math.min(...ratios)), median: round3(median(ratios)), max: round3(Math.max(...ratios)) },
        ratioCpu: { min: round3(Math.min(...cpuRatios)), median: round3(median(cpuRatios)), max: round3(Math.max(...cpuRatios)) },
      },
      rounds,
      finalState: checked.langvel.state,
    }
    if (options.json) output.json(result)
    else printResult(output, result)
    const file = writeResult(root, options.name, result)
    if (!options.json) output.success(`wrote ${file}`)
    return 0
  } finally {
    sides.close()
  }
}

function printResult(output: Output, result: { langvel: SideRound; langgraph: SideRound; ratio: { ms: number; cpu: number }; spread: Record<'ratioMs' | 'ratioCpu', { min: number; median: number; max: number }>; options: { runs: number; rounds: number } }): void {
  const { langvel, langgraph, ratio, spread, options } = result
  output.line()
  output.table(
    [`team run, ${options.rounds} rounds x ${options.runs} runs per side`, 'median ms/run', 'CPU ms/run'],
    [
      ['Langvel SupervisorAgent', langvel.medianMs, langvel.cpuMs],
      ['hand-written LangGraph', langgraph.medianMs, langgraph.cpuMs],
      ['Langvel / hand-written', ratio.ms, ratio.cpu],
      ['ratio per round: median (min..max)', `${spread.ratioMs.median} (${spread.ratioMs.min}..${spread.ratioMs.max})`, `${spread.ratioCpu.median} (${spread.ratioCpu.min}..${spread.ratioCpu.max})`],
    ],
  )
  const over = Math.round((ratio.cpu - 1) * 100)
  output.line(`Langvel costs ${over >= 0 ? `${over}% more` : `${-over}% less`} CPU per team run than the hand-written graph (target: within 10%).`)
}
