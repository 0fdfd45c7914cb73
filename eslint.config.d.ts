// Types of eslint.config.js for the test that lints probes with its import rules.
import type { Linter } from 'eslint';

export const importBoundaries: Linter.Config;
declare const config: Linter.Config[];
export default config;
