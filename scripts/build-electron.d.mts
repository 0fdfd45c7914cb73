// Types for scripts/build-electron.mjs, which bin/start.mjs and the packing test import.
export declare function buildElectron(opts?: { quiet?: boolean }): Promise<{ outdir: string }>;
