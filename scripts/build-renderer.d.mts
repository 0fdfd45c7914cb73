// Types for scripts/build-renderer.mjs, which the browser host and tests import.
export declare const DEFAULT_OUT: string;
export declare function buildRenderer(opts?: { dev?: boolean; quiet?: boolean; outdir?: string }): Promise<{ outdir: string; files: string[] }>;
