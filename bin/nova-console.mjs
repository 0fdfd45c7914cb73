#!/usr/bin/env node
// The command-line face: `nova-console url SERVER`, `nova-console resolve CONSOLE_URL` (see README).
import { register } from 'tsx/esm/api';

register();
await import('../electron/cli/main.ts');
