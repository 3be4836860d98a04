import { readFileSync, writeFileSync } from 'node:fs'
import { extname, relative, resolve } from 'node:path'
import type { CommandHandler } from '../command'

/**
 * A page that renders the diagram offline: mermaid's standalone bundle is
 * inlined, so the file opens anywhere without a network or a CDN.
 */
export function mermaidHtml(title: string, diagram: string): string {
  const bundle = readFileSync(require.resolve('mermaid/dist/mermaid.min.js'), 'utf8').replace(/<\/script/gi, '<\\/script')
  const escaped = diagram.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  const safeTitle = title.replace(/[<>&"]/g, '')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${safeTitle}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}h1{font-size:1.2rem}</style>
</head>
<body>
<h1>${safeTitle}</h1>
<pre class="mermaid">
${escaped}
</pre>
<script>${bundle}</script>
<script>mermaid.initialize({ startOnLoad: true, securityLevel: 'strict' })</script>
</body>
</html>
`
}

/** `langvel agent:graph /research [--output graph.html] [--json]` */
const agentGraph: CommandHandler<{ output?: string; json?: boolean }> = async ({ app, args, options, output }) => {
  const [path] = args
  const runner = app.make('agents')
  const route = runner.route(path)
  const diagram = await runner.graph(path)
  if (!options.output) {
    if (options.json) output.json({ path: route.path, agent: route.agent, mermaid: diagram })
    else output.line(diagram)
    return
  }
  const file = resolve(process.cwd(), options.output)
  const extension = extname(file).toLowerCase()
  const content =
    extension === '.html' || extension === '.htm'
      ? mermaidHtml(`${route.agent} (${route.path})`, diagram)
      : extension === '.md'
        ? `# ${route.agent} (${route.path})\n\n\`\`\`mermaid\n${diagram}\n\`\`\`\n`
        : `${diagram}\n`
  writeFileSync(file, content)
  if (options.json) output.json({ path: route.path, agent: route.agent, file })
  output.success(`wrote ${relative(process.cwd(), file) || file}`)
}

export default agentGraph
