import { toPlainValues } from '../../agents/plain_values'
import { E_INVALID_CONFIG } from '../../errors'
import { parseOwner } from '../../memory/memory_owner'
import type { CommandHandler } from '../command'

/**
 * `langvel memory:list <principal> [--json]`: the principal's memories, newest
 * first, then its episodes (summaries of finished threads), most recent first. E_INVALID_CONFIG with MEMORY_STORE=memory: that store lives inside
 * the server process, and the CLI would only see an empty one of its own.
 */
const memoryList: CommandHandler<{ json?: boolean }> = async ({ app, args, options, output }) => {
  const owner = parseOwner(args[0] ?? '')
  const manager = app.make('memory')
  if (manager.defaultDriver === 'memory') {
    throw new E_INVALID_CONFIG(['MEMORY_STORE=memory keeps memories inside the server process: the CLI cannot read them'], {
      help: 'Use MEMORY_STORE=postgres (run `langvel migrate`) to list and erase memories from the CLI; or read them in the app with app.make(\'memory\').forOwner(owner).list().',
    })
  }
  const memory = manager.forOwner(owner)
  const memories = await memory.list()
  const rows = memories.map((memory) => ({ key: memory.key, value: toPlainValues(memory.value), created_at: memory.createdAt.toISOString(), updated_at: memory.updatedAt.toISOString() }))
  const episodes = (await memory.episodes()).map((episode) => ({
    thread_id: episode.threadId,
    agent: episode.agent,
    route: episode.route ?? null,
    summary: episode.summary,
    finished_at: episode.finishedAt.toISOString(),
    created_at: episode.createdAt.toISOString(),
  }))
  if (options.json) {
    output.json({ principal: owner, memories: rows, episodes })
    return
  }
  if (rows.length === 0) output.info(`No memories for ${owner}`)
  else output.table(['Key', 'Value', 'Updated'], rows.map((row) => [row.key, typeof row.value === 'string' ? row.value : JSON.stringify(row.value), row.updated_at]))
  if (episodes.length === 0) output.info(`No episodes for ${owner}`)
  else output.table(['Thread', 'Agent', 'Summary', 'Finished'], episodes.map((episode) => [episode.thread_id, episode.route ?? episode.agent, episode.summary, episode.finished_at]))
}

export default memoryList
