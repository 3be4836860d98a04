import type { CommandHandler } from '../command'

/** `langvel route:list [--json]`: every agent route with what runs around it. */
const routeList: CommandHandler<{ json?: boolean }> = ({ app, options, output }) => {
  const routes = app.make('agents').routes()
  if (options.json) {
    output.json(routes.map(({ inputSchema: _schema, ...route }) => route))
    return
  }
  if (routes.length === 0) {
    output.info('No agent routes. Register one in routes/agents.ts.')
    return
  }
  const list = (items: readonly string[]) => (items.length > 0 ? items.join(', ') : '-')
  output.table(
    ['Path', 'Name', 'Agent', 'Middleware', 'Checkpointer', 'Interrupts', 'Tools'],
    routes.map((route) => [route.path, route.name ?? '-', route.agent, list(route.middleware), route.checkpointer, list(route.interrupts), list(route.tools)]),
  )
}

export default routeList
