/*
 * HTTP_TOOL_ALLOW_PRIVATE: the process-wide default of httpTool's
 * `allowPrivate`. Set by the llm provider at boot (config/llm.ts holds it)
 * and read by httpTool on each request, since tools are usually defined at
 * module load, before any application boots.
 */
let allowPrivate = false

/**
 * Sets the default for tools that do not pass `allowPrivate` themselves.
 *
 * @example
 * setHttpToolsAllowPrivate(app.config.get('llm').httpTools.allowPrivate)
 */
export function setHttpToolsAllowPrivate(allow: boolean): void {
  allowPrivate = allow
}

export function httpToolsAllowPrivate(): boolean {
  return allowPrivate
}
