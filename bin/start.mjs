#!/usr/bin/env node
// `npm start`: the desktop app on the embedded demo cloud. Until the desktop app lands this runs the demo cloud
// on its own and prints where it listens.
import { register } from 'tsx/esm/api';

register();
process.argv.splice(2, 0, '--port', process.env.NOVA_CONSOLE_DEMO_PORT ?? '0');
await import('../electron/mock/main.ts');
