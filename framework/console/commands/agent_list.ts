import type { CommandHandler } from '../command'

/** `langvel agent:list [--json]`: the agent classes behind the routes, with their descriptions. */
const agentList: CommandHandler<{ json?: boolean }> = ({ app, options, output }) => {
  const agents = new Map<string, { agent: string; description?: string; paths: string[] }>()
  for (const route of app.make('agents').routes()) {
    const entry = agents.get(route.agent) ?? { agent: route.agent, description: route.description, paths: [] }
    entry.paths.push(route.path)
    agents.set(route.agent, entry)
  }
  if (options.json) {
    output.json([...agents.values()])
    return
  }
  output.table(
    ['Agent', 'Routes', 'Description'],
    [...agents.values()].map((entry) => [entry.agent, entry.paths.join(', '), entry.description ?? '-']),
  )
}

export default agentList
