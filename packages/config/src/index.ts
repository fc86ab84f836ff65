export type { ApiKeyEntry } from './config-schema';
export { ZEnv } from './config-schema';
export { type Config, ConfigError, loadConfig, loadConfigOrExit } from './load-config';
