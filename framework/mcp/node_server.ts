import { pathToFileURL } from 'node:url'
import { E_INVALID_CONFIG } from '../errors'
import { sourceFile } from '../foundation/paths'

/**
 * The `command` and `args` of an MCP server written in this project
 * (`app/mcp/notes_server`, without its extension), started with the Node.js
 * that runs Langvel: the TypeScript source through tsx in development, the
 * compiled `.js` under `langvel build`. For config/mcp.ts, where a path in
 * mcp.json could not follow the build.
 *
 * @example
 * const servers = {
 *   notes: { ...nodeServer(join(__dirname, '..', 'app', 'mcp', 'notes_server')), env: { NOTES_FILE: 'storage/mcp/notes.json' } },
 * }
 */
export function nodeServer(base: string): { command: string; args: string[] } {
  const file = sourceFile(base)
  if (!file) throw new E_INVALID_CONFIG([`MCP server ${base}: no .ts or .js file there`])
  if (file.endsWith('.js')) return { command: process.execPath, args: [file] }
  // tsx by its own path: the server may run where node_modules cannot be found from its cwd.
  return { command: process.execPath, args: ['--import', pathToFileURL(require.resolve('tsx')).href, file] }
}
