export type { ApiKeyEntry } from './config-schema';
export { ZEnv } from './config-schema';
export { type Config, ConfigError, loadConfig, loadConfigOrExit } from './load-config';
export { LOG_FORMATS, type LogDestination, type LogFormat, logDestination, prettyLogs } from './log-format';
