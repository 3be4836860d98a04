import { pathToFileURL } from 'node:url'
import { SOURCE_EXTENSIONS, sourceFile } from '../foundation/paths'

/**
 * The `command` and `args` of an MCP server written in this project
 * (`app/mcp/notes_server`, without its extension), started with the Node.js
 * that runs Langvel: the TypeScript source through tsx in development, the
 * compiled `.js` under `langvel build`. For config/mcp.ts, where a path in
 * mcp.json could not follow the build. A missing file is not an error here
 * (a project that removed the example still boots); the server fails to
 * start when it is used, with node's "Cannot find module" in the reason.
 *
 * @example
 * const servers = {
 *   notes: { ...nodeServer(join(__dirname, '..', 'app', 'mcp', 'notes_server')), env: { NOTES_FILE: 'storage/mcp/notes.json' } },
 * }
 */
export function nodeServer(base: string): { command: string; args: string[] } {
  const file = sourceFile(base) ?? `${base}${SOURCE_EXTENSIONS[0]}`
  if (file.endsWith('.js')) return { command: process.execPath, args: [file] }
  // tsx by its own path: the server may run where node_modules cannot be found from its cwd.
  return { command: process.execPath, args: ['--import', pathToFileURL(require.resolve('tsx')).href, file] }
}
