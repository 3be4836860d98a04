import { Registry } from 'prom-client'
import { LlmManager, LlmMetrics, OFFLINE_CONFIG } from '../../framework/llm'
import { checkEquivalence, createTeamSides, median, parseTeamBenchArgs, teamResult, TEAM_TASK } from '../team_bench'

const offline = () => new LlmManager({ config: OFFLINE_CONFIG, metrics: new LlmMetrics(new Registry()) })

describe('parseTeamBenchArgs', () => {
  it('has defaults and a result name from the time', () => {
    const options = parseTeamBenchArgs([], new Date('2026-01-02T03:04:05.678Z'))
    expect(options).toEqual({ name: 'team-2026-01-02T03-04-05-678Z', runs: 100, rounds: 10, warmup: 300, json: false, help: false })
  })

  it('reads runs, rounds, warm-up, name and --json', () => {
    expect(parseTeamBenchArgs(['--runs', '50', '--rounds', '3', '--warmup', '0', '--name', 'nightly', '--json'])).toMatchObject({ runs: 50, rounds: 3, warmup: 0, name: 'nightly', json: true })
  })

  it('refuses what it cannot read, naming the flag', () => {
    expect(() => parseTeamBenchArgs(['--runs', '0'])).toThrow('--runs "0"')
    expect(() => parseTeamBenchArgs(['--rounds', 'many'])).toThrow('--rounds "many"')
    expect(() => parseTeamBenchArgs(['--name', '../x'])).toThrow('--name')
    expect(() => parseTeamBenchArgs(['--threads', '4'])).toThrow()
    expect(() => parseTeamBenchArgs(['load'])).toThrow('unexpected argument: load')
  })
})

describe('the two teams', () => {
  it('end in the same state after the same model calls: each member once, in order, routed by the model', async () => {
    const sides = await createTeamSides(offline())
    try {
      const outcome = await checkEquivalence(sides)
      expect(outcome.langvel.state).toEqual(outcome.langgraph.state)
      expect(Object.keys(outcome.langvel.state.answers)).toEqual(['researcher', 'writer', 'critic'])
      expect(outcome.langvel.state.task).toBe(TEAM_TASK.task)
      expect(outcome.langvel.modelCalls).toHaveLength(7)
      expect(outcome.langvel.modelCalls).toEqual(outcome.langgraph.modelCalls)
    } finally {
      sides.close()
    }
  })

  it('fail the check loudly when the states differ', async () => {
    const sides = await createTeamSides(offline())
    try {
      const original = sides.run.langgraph
      sides.run.langgraph = async () => ({ ...(await original()), answers: { researcher: 'something else' } })
      await expect(checkEquivalence(sides)).rejects.toThrow('the two teams ended in different states')
    } finally {
      sides.close()
    }
  })

  it('fail the check loudly when the model calls differ', async () => {
    const sides = await createTeamSides(offline())
    try {
      const original = sides.run.langgraph
      sides.run.langgraph = async () => {
        const state = await original()
        await sides.manager.llm().invoke('one call too many')
        return state
      }
      await expect(checkEquivalence(sides)).rejects.toThrow('the two teams made different model calls')
    } finally {
      sides.close()
    }
  })
})

describe('helpers', () => {
  it('keeps the team result keys and takes medians', () => {
    expect(teamResult({ task: 't', answers: { a: 'x' }, consulted: ['a'] })).toEqual({ task: 't', answers: { a: 'x' } })
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })
})
