// The OpenStack side as the app and the command line use it.
export { loadCloudConfigs, type CloudConfig, type ConfigSources, type LoadedConfig } from './clouds-config.ts';
export { createOpenStackConsoles, type OpenStackConsoles, type OpenStackConsolesOptions } from './console-service.ts';
export { parseConsoleUrl, type ParsedConsoleUrl } from './console-url.ts';
