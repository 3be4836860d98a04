export { Logger, createLogger } from './logger'
export type { LoggerOptions, LogLevel } from './logger'
export { redact, redactString, isSecretKey, serializeError, REDACTED } from './redact'
export { stderrSink, LineSink, SinkTransport } from './stderr_sink'
